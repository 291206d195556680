#!/bin/sh
# Readiness and liveness of named, by asking it real questions.
#   probe.sh alive   named answers a query at all
#   probe.sh ready   every zone named has a copy of answers its SOA with NOERROR
set -u
PORT=${DNS_PORT:-5353}
ask() { dig @127.0.0.1 -p "$PORT" +norec +time=2 +tries=1 "$@"; }
case ${1:-ready} in
  alive)
    ask version.bind CH TXT >/dev/null
    ;;
  ready)
    ask version.bind CH TXT >/dev/null || exit 1
    for z in ${ZONES:-}; do
      [ -f "${ZONES_DST:?}/$z.zone" ] || continue
      ask "$z" SOA | grep -q 'status: NOERROR' || { echo "zone $z is not served"; exit 1; }
    done
    ;;
esac
