#!/bin/sh
# One-shot key and config setup for the compose demo (infra/docker/compose.yaml): runs the CLIs'
# own `init` commands, then writes configs that point each side at the other's public keys and
# pins each receiver's TLS certificate. DEMO ONLY: here every key shares one volume and the root
# key sits next to the service; in production the root key stays offline (docs/operations/keys.md).
set -eu

KEYS=${PREPCAST_DEMO_KEYS:-/etc/prepcast}
PROCESS=DEMO-2024
CHANNEL=simulacro
PUBLISHER_ID=ople-demo
PUBLISHER_ADDRESS=172.28.0.10    # fixed in compose.yaml; the receivers allow only this address
RECEIVERS="demo-a:receiver-a demo-b:receiver-b"   # id:compose service name
DONE="$KEYS/.demo-initialized"

if [ -f "$DONE" ]; then
  echo "demo-init: keys and configs already in $KEYS (remove the volume to start over)"
  exit 0
fi
umask 077

need() {
  for file in "$@"; do
    if [ ! -s "$file" ]; then
      echo "demo-init: $file is missing after init. The init commands' output files changed:" >&2
      echo "           update the expected names in infra/docker/demo-init.sh" >&2
      exit 1
    fi
  done
}

# SHA-256 of a PEM certificate as lowercase hex without colons (the publisher's tlsFingerprint).
fingerprint() {
  openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

prep-publisher init --dir "$KEYS/publisher" --id "$PUBLISHER_ID" --process "$PROCESS"
need "$KEYS/publisher/root.pub" "$KEYS/publisher/signing.key" "$KEYS/publisher/keyset.json" \
     "$KEYS/publisher/keyset.sig" "$KEYS/publisher/identity.key" "$KEYS/publisher/identity.pub"

mkdir -p "$KEYS/logos"
printf '%s\n' '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#0a6"/></svg>' \
  > "$KEYS/logos/demo.svg"

receivers_yaml=""
for entry in $RECEIVERS; do
  id=${entry%%:*}
  host=${entry#*:}
  dir="$KEYS/$id"
  prep-receiver init --dir "$dir" --id "$id" --process "$PROCESS" --publisher-id "$PUBLISHER_ID" --allow "$PUBLISHER_ADDRESS/32" --cn "$host"
  need "$dir/identity.key" "$dir/identity.pub" "$dir/tls.crt" "$dir/tls.key"
  cat > "$dir/receiver.yaml" <<YAML
# written by infra/docker/demo-init.sh for the compose demo
id: $id
root: /var/lib/prepcast
trust:
  rootPublicKey: $KEYS/publisher/root.pub
  process: $PROCESS
  channels: [$CHANNEL]
identity:
  secretKey: $dir/identity.key
publisher:
  id: $PUBLISHER_ID
  identityPublicKey: $KEYS/publisher/identity.pub
push:
  listen: 0.0.0.0:8730
  websocket: false
  tls: { cert: $dir/tls.crt, key: $dir/tls.key }
  allowlist: [$PUBLISHER_ADDRESS/32]
site:
  listen: 0.0.0.0:80
  tls: null
  frameAncestors: ["'self'"]
  workers: 2
admin:
  listen: 127.0.0.1:8731
retain: 3
log: { level: info }
YAML
  receivers_yaml="$receivers_yaml
  - id: $id
    name: Difusor de demostración $id
    transport: grpc
    address: $host:8730
    tlsFingerprint: $(fingerprint "$dir/tls.crt")
    identityPublicKey: $dir/identity.pub
    publicUrl: http://$host/
    contact: ti@$id.example
    logo: $KEYS/logos/demo.svg"
done

# The dashboard listens on 0.0.0.0 inside its container (published on the host's loopback only);
# a wildcard listener needs a credential: a random token, printed once for the demo's operator.
head -c 32 /dev/urandom | base64 | tr -d '=+/' > "$KEYS/publisher/admin.token"
chmod 0600 "$KEYS/publisher/admin.token"

cat > "$KEYS/publisher/publisher.yaml" <<YAML
# written by infra/docker/demo-init.sh for the compose demo
id: $PUBLISHER_ID
process: $PROCESS
channel: $CHANNEL
keys: $KEYS/publisher
identity: { secretKey: $KEYS/publisher/identity.key }
state: /var/lib/prepcast-publisher
inbox: /var/spool/prepcast/inbox
admin: { listen: 0.0.0.0:8740, tokenFile: $KEYS/publisher/admin.token }
updatePeriodMinutes: 15
suspendAfterPeriods: 3
receivers:$receivers_yaml
YAML

touch "$DONE"
echo "demo-init: keys and configs written under $KEYS"
echo "demo-init: dashboard token (log in at http://127.0.0.1:8740/): $(cat "$KEYS/publisher/admin.token")"
