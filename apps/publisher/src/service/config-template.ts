/** The commented example config `prep-publisher init` writes next to the keys. */
export function publisherConfigTemplate(o: { id: string; process: string; keysDir: string; identityKey: string }): string {
  return `# prep-publisher run --config publisher.yaml
# Every field is checked at start-up; all problems are listed at once.
id: ${o.id}                       # this publisher's id, pinned by every receiver (publisher.id)
process: ${o.process}             # electoral process, e.g. VER-2024
channel: produccion               # or simulacro for drills (never mixed)
keys: ${o.keysDir}                # signing.key + keyset.json/.sig (move root.key offline!)
identity:
  secretKey: ${o.identityKey}     # session identity; hand identity.pub to every difusor
state: ./state                    # audit.log, receipts.jsonl, signed cuts
inbox: ./inbox                    # drop a cut folder (with a READY file) or a .prep here
admin:
  listen: 127.0.0.1:8740          # /livez /readyz /metrics /api/status; keep it on localhost
  # tokenFile: ./admin.token      # require "Authorization: Bearer <token>"
updatePeriodMinutes: 15
suspendAfterPeriods: 3            # the call's 45-minute rule
# encodings:
#   deltaZip: true                # send zips as their entries' delta to difusores that accept it (protocol §9.4; CPU each cut)
# notifications:                  # notices to people (docs/operations/notifications.md)
#   operators: [guardia@ople.example]
#   email: { host: smtp.ople.example, port: 587, security: starttls, from: "PREP <prep@ople.example>", user: prep, passwordFile: ./smtp.password }
#   webhooks: [{ url: "https://monitor.ople.example/prepcast" }]
receivers: []
# Add difusores with \`prep-publisher receivers add registration.json\` (docs/operations/onboarding.md),
# or by hand:
# - id: uv-xalapa
#   name: Universidad Veracruzana
#   transport: grpc               # or websocket (wss://host/prepcast/v1/push)
#   address: 203.0.113.10:8730
#   tlsFingerprint: <SHA-256 the receiver's init printed>
#   identityPublicKey: <base64 public key the receiver's init printed, or a .pub file>
#   publicUrl: https://prep.uv.mx/
#   contact: ti@uv.mx
#   logo: logos/uv.svg
`;
}
