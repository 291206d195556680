#!/bin/sh
# Readiness and liveness of named, by asking it real questions.
#   probe.sh alive   named answers a query at all
#   probe.sh ready   every zone named has a copy of answers its SOA with NOERROR
#   probe.sh reloader  the reloader's loop touched its heartbeat within 3 intervals and 10 s
set -u
PORT=${DNS_PORT:-5353}
ask() { dig @127.0.0.1 -p "$PORT" +norec +time=2 +tries=1 "$@"; }
case ${1:-ready} in
  alive)
    ask version.bind CH TXT >/dev/null
    ;;
  reloader)
    beat=${ZONES_DST:?}/.reloader.alive
    [ -f "$beat" ] || { echo "the reloader has not started its loop"; exit 1; }
    age=$(( $(date +%s) - $(date -r "$beat" +%s) ))
    [ "$age" -le $(( 3 * ${RELOAD_INTERVAL:-2} + 10 )) ] || { echo "the reloader's last poll was ${age}s ago"; exit 1; }
    ;;
  ready)
    ask version.bind CH TXT >/dev/null || exit 1
    for z in ${ZONES:-}; do
      [ -f "${ZONES_DST:?}/$z.zone" ] || continue
      ask "$z" SOA | grep -q 'status: NOERROR' || { echo "zone $z is not served"; exit 1; }
    done
    ;;
esac
