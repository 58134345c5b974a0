#!/usr/bin/env bash
# Runs a command (default: npm test) with TMPDIR set to a fresh, empty directory and fails when the
# command leaves anything behind in it, or creates anything in /tmp itself (a path that ignores
# TMPDIR). Anything written after the command ends (a process left running) is caught by a second
# look a few seconds later.
#
#   scripts/check-tmp-clean.sh                 # npm test
#   scripts/check-tmp-clean.sh npx jest -c …   # any command
#
# Exit status: the command's own when it fails; otherwise 0 when nothing was left, 1 when
# something was (each leftover is listed). CHECK_TMP_SYSTEM=0 skips the /tmp comparison (on a
# machine where other people's jobs write to /tmp at the same time); CHECK_TMP_LATE_SECONDS sets
# the wait before the second look (default 3).
set -uo pipefail

[ $# -gt 0 ] || set -- npm test
late=${CHECK_TMP_LATE_SECONDS:-3}
system=${CHECK_TMP_SYSTEM:-1}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/prepcast-check-tmp.XXXXXX")
# a temp root like /tmp itself: tests run as root spawn CLIs as another user (nobody) on files in it
chmod 1777 "$tmp"
before=$(mktemp "${TMPDIR:-/tmp}/prepcast-check-tmp-before.XXXXXX")
ls -A /tmp | sort > "$before"

TMPDIR=$tmp "$@"
status=$?

leftovers() {
  find "$tmp" -mindepth 1 -maxdepth 1 -printf '  %f\n' | sort
  if [ "$system" = 1 ]; then
    ls -A /tmp | sort | comm -13 "$before" - | grep -v -e "^$(basename "$tmp")\$" -e "^$(basename "$before")\$" | sed 's/^/  \/tmp\//'
  fi
}

found=$(leftovers)
if [ -z "$found" ] && [ "$late" != 0 ]; then
  sleep "$late"
  found=$(leftovers)
fi
rm -f "$before"
if [ -n "$found" ]; then
  echo "check-tmp-clean: \`$*\` left these in the temporary directory (TMPDIR=$tmp, kept for inspection):" >&2
  echo "$found" >&2
  [ "$status" -ne 0 ] && exit "$status"
  exit 1
fi
rmdir "$tmp"
[ "$status" -ne 0 ] && echo "check-tmp-clean: \`$*\` failed (exit $status); it left nothing behind" >&2
exit "$status"
