#!/usr/bin/env bash
# The whole test suite (npm test): install what it needs, build, run node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/prepare.sh
# The product supports Node.js 22+; prepare.sh leaves Node 24 in .tmp/node when the machine's is older.
if [ -x .tmp/node/bin/node ]; then export PATH="$PWD/.tmp/node/bin:$PATH"; fi
echo "node $(node --version)"
# dist/ by esbuild (a second), then the CLI bundle; the types are checked by a test (typecheck.test).
rm -rf dist/src dist/test
node src/build/transpile.ts
node src/build/bundle.ts
chmod +x dist/bundle/cli/main.js
mkdir -p .tmp
# The tests make many small files (fixtures, zone folders, state, pod roots): on ext4 under a VM each
# costs about 1 ms of system time to create, on a tmpfs a twentieth of that. Their temporary folders go
# to a tmpfs when the machine has one (TMPDIR set by the caller wins).
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  TMPDIR=$(mktemp -d /dev/shm/edgemanage-tests.XXXXXX)
  export TMPDIR
  trap 'rm -rf "$TMPDIR"' EXIT
fi
# The tests start the CLI some 300 times: node's compile cache spares each the parsing of the bundle's
# code (a third of an S3 run's start), shared by all of them for this run only.
export NODE_COMPILE_CACHE="${TMPDIR:-/tmp}/edgemanage-compile-cache"
# Three files at a time on two cores: many tests spend part of their time waiting (a timeout, bind
# reloading, a pod's loop), and a third file fills those waits (106 s instead of 131 s on 2 cores).
# The longest files first, so that those running at a time end together rather than one long file
# running alone at the end (node's runner starts them in the order given).
files=()
for n in image vantage typecheck k8s-e2e k8s-zones cli; do files+=("dist/test/$n.test.js"); done
for f in dist/test/*.test.js; do [[ " ${files[*]} " == *" $f "* ]] || files+=("$f"); done
set +e
node --test --test-concurrency=3 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=.tmp/test-results.tap \
  "${files[@]}"
code=$?
set -e
# A plain closing line, whatever the reporter: "N passed, N failed".
pass=$(awk '/^# pass /{print $3}' .tmp/test-results.tap)
fail=$(awk '/^# fail /{print $3}' .tmp/test-results.tap)
echo "${pass:-0} passed, ${fail:-0} failed"
exit $code
