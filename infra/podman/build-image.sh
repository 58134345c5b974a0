#!/usr/bin/env bash
# Builds one of the repository's Dockerfiles, unchanged, with podman:
#   infra/podman/build-image.sh infra/docker/receiver.Dockerfile prepcast/receiver:0.1.0
# The base image (node:24-bookworm-slim) comes from infra/podman/base-image.sh, never a registry.
# --format docker keeps the HEALTHCHECK (the OCI image format has no field for it); --network host
# lets RUN steps reach Debian's mirror and the npm registry. Layers are cached between builds, and
# the two Dockerfiles share their builder stage, so the second image takes seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=infra/podman/podman.sh
. "$here/podman.sh"
[ $# -eq 2 ] || { echo "usage: $0 DOCKERFILE TAG" >&2; exit 2; }
dockerfile=$1 tag=$2
bash "$here/base-image.sh"
start=$(date +%s)
log=$(mktemp "${TMPDIR:-/tmp}/prepcast-build.XXXXXX")
trap 'rm -f "$log"' EXIT
if ! pm build --format docker --network host --pull=never -f "$repo/$dockerfile" -t "$tag" "$repo" >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "build-image: podman build of $dockerfile failed (last lines above)" >&2
  exit 1
fi
echo "build-image: $tag from $dockerfile in $(( $(date +%s) - start )) s"
