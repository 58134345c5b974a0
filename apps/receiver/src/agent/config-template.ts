/** The commented example config `prep-receiver init` writes. */
export function receiverConfigTemplate(o: { id: string; allow: string[]; trust: string; publisherKey: string; publisherId: string; process: string }): string {
  return `# prep-receiver run --config receiver.yaml
# Every field is checked at start-up; all problems are listed at once.
id: ${o.id}                          # as registered with the OPLE
root: ./data                         # state: cuts/, current, audit.log, analytics.sqlite
trust:
  rootPublicKey: ${o.trust}          # the OPLE's root.pub (check its fingerprint with the OPLE!)
  process: ${o.process}
  channels: [produccion]             # add simulacro to take part in drills
identity:
  secretKey: ./identity.key          # hand identity.pub (or the base64 printed by init) to the OPLE
publisher:
  id: ${o.publisherId}
  identityPublicKey: ${o.publisherKey}
push:
  listen: 0.0.0.0:8730               # open this port only to the OPLE's addresses (ufw)
  tls: { cert: ./tls.crt, key: ./tls.key }
  allowlist: [${o.allow.join(", ")}]   # publisher addresses; everything else is dropped
  websocket: false                   # true: also on the site's HTTPS port (needs site.tls), or { listen: 0.0.0.0:8443 }
site:
  listen: 0.0.0.0:80                 # with tls: 0.0.0.0:443
  # tls: { cert: ./site.crt, key: ./site.key }   # your public certificate (0600 key), to serve HTTPS
  frameAncestors: ["'self'"]         # add your portal's origin to embed the PREP pages
  workers: 0                         # 0 = one per core
admin:
  listen: 127.0.0.1:8731             # /livez /readyz /metrics and the status page
retain: 3
`;
}
