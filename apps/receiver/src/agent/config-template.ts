/** The listeners of the config `init` writes: a server's, or `--local` ones for a trial on one machine. */
export const LOCAL_LISTENERS = { push: "127.0.0.1:8730", site: "127.0.0.1:8080", admin: "127.0.0.1:8731" } as const;

/** The commented example config `prep-receiver init` writes. */
export function receiverConfigTemplate(o: {
  id: string;
  allow: string[];
  trust: string;
  publisherKey: string;
  publisherId: string;
  process: string;
  local?: boolean;
}): string {
  const local = o.local === true;
  return `# prep-receiver run --config receiver.yaml
# Every field is checked at start-up; all problems are listed at once.
${local ? "# Written by `init --local`: every listener on 127.0.0.1, for a trial on one machine.\n" : ""}id: ${o.id}                          # as registered with the OPLE
root: ./data                         # state: cuts/, current, audit.log, analytics.sqlite
trust:
  rootPublicKey: ${o.trust}          # the OPLE's root.pub, or root.json with root.sig beside it (check the fingerprints with the OPLE!)
  process: ${o.process}
  channels: [produccion]             # add simulacro to take part in drills
identity:
  secretKey: ./identity.key          # hand identity.pub (or the base64 printed by init) to the OPLE
publisher:
  id: ${o.publisherId}
  identityPublicKey: ${o.publisherKey}
push:
  listen: ${local ? LOCAL_LISTENERS.push : "0.0.0.0:8730"}               # open this port only to the OPLE's addresses (ufw)
  tls: { cert: ./tls.crt, key: ./tls.key }
  allowlist: [${o.allow.join(", ")}]   # publisher addresses; everything else is dropped
  websocket: false                   # true: also on the site's HTTPS port (needs site.tls), or { listen: 0.0.0.0:8443 }
site:
  listen: ${local ? `${LOCAL_LISTENERS.site}             # the public site (a server: 0.0.0.0:80; with tls: 0.0.0.0:443)` : "0.0.0.0:80                 # with tls: 0.0.0.0:443"}
  # tls: { cert: ./site.crt, key: ./site.key }   # your public certificate (0600 key), to serve HTTPS
  frameAncestors: ["'self'"]         # add your portal's origin to embed the PREP pages
  workers: ${local ? "1                         # one process for a trial (a server: 0 = one per core)" : "0                         # 0 = one per core"}
  # frontend: "Cloudflare (CDN, TLS en 443)"   # the proxy or CDN in front of the site, drawn in the memoria técnica
admin:
  listen: ${LOCAL_LISTENERS.admin}             # /livez /readyz /metrics and the status page
retain: 3
# encodings:
#   deltaZip: true                   # accept zips as their entries' delta when the OPLE sends it (protocol §9.4; CPU each cut)
`;
}

/**
 * The registry entry `init` writes next to the config for the OPLE (registration.yaml): what
 * `prep-publisher register` adds to the publisher's `receivers:`.
 */
export function receiverRegistration(o: {
  id: string;
  name: string;
  address: string;
  tlsFingerprint: string;
  identityPublicKey: string;
  publicUrl?: string;
  contact?: string;
}): string {
  return `# ${o.id}: hand this file to the OPLE; it adds it to its registry with
#   prep-publisher register registration.yaml --config publisher.yaml
# Check the address (where the OPLE reaches your push port) and the public URL first.
id: ${o.id}
name: ${JSON.stringify(o.name)}
transport: grpc
address: ${o.address}
tlsFingerprint: ${o.tlsFingerprint}
identityPublicKey: ${o.identityPublicKey}
${o.publicUrl ? `publicUrl: ${o.publicUrl}\n` : ""}${o.contact ? `contact: ${o.contact}\n` : ""}`;
}
