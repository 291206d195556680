#!/usr/bin/env bash
# The whole test suite (npm test): install what it needs, build, run node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/prepare.sh
# The product supports Node.js 22+; prepare.sh leaves Node 24 in .tmp/node when the machine's is older.
if [ -x .tmp/node/bin/node ]; then export PATH="$PWD/.tmp/node/bin:$PATH"; fi
echo "node $(node --version)"
npm run build --silent
mkdir -p .tmp
# The tests make many small files (fixtures, zone folders, state, pod roots): on ext4 under a VM each
# costs about 1 ms of system time to create, on a tmpfs a twentieth of that. Their temporary folders go
# to a tmpfs when the machine has one (TMPDIR set by the caller wins).
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  TMPDIR=$(mktemp -d /dev/shm/edgemanage-tests.XXXXXX)
  export TMPDIR
  trap 'rm -rf "$TMPDIR"' EXIT
fi
set +e
node --test --test-concurrency=2 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=.tmp/test-results.tap \
  dist/test/*.test.js
code=$?
set -e
# A plain closing line, whatever the reporter: "N passed, N failed".
pass=$(awk '/^# pass /{print $3}' .tmp/test-results.tap)
fail=$(awk '/^# fail /{print $3}' .tmp/test-results.tap)
echo "${pass:-0} passed, ${fail:-0} failed"
exit $code
