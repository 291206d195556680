#!/bin/sh
# edgemanage zone reloader: runs beside named in the bind pod (POSIX sh: busybox or dash).
#
#   reload-zones.sh once    copy every zone that passes named-checkzone to the serving folder (init)
#   reload-zones.sh watch   poll the stamp files the CronJobs write last; for each changed zone, check
#                           it, copy it to the serving folder and `rndc reload` it
#
# Polling, not inotify: inotify does not see writes made from another node on ReadWriteMany volumes
# (NFS, CephFS). named serves the copies in ZONES_DST, never the shared volume itself, so a zone that
# fails the check is not loaded: the last good copy keeps being served.
set -u
MODE=${1:-watch}
SRC=${ZONES_SRC:?ZONES_SRC: the zone volume folder}
DST=${ZONES_DST:?ZONES_DST: the folder named serves from}
ZONES=${ZONES:-}
INTERVAL=${RELOAD_INTERVAL:-2}
RNDC_PORT=${RNDC_PORT:-9530}
RNDC_KEY=${RNDC_KEY:-/etc/bind/rndc/rndc.key}

log() { printf '%s reload-zones: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

# Copies zone $1 to the serving folder if it changed and passes the check; true when it was copied.
sync_zone() {
  z=$1 src="$SRC/$1.zone" dst="$DST/$1.zone" bad="$DST/.$1.rejected" tmp="$DST/.$1.tmp"
  [ -f "$src" ] || return 1
  cmp -s "$src" "$dst" 2>/dev/null && return 1
  # Rejected before and unchanged since: not checked or logged again every poll.
  cmp -s "$src" "$bad" 2>/dev/null && return 1
  # Check the very bytes that will be served: the CronJob may replace the file meanwhile.
  cp "$src" "$tmp" || { log "zone $z: cannot copy $src"; return 1; }
  if out=$(named-checkzone -k fail -i local "$z" "$tmp" 2>&1); then
    mv -f "$tmp" "$dst" && rm -f "$bad"
    log "zone $z: passed named-checkzone, now served"
    return 0
  fi
  mv -f "$tmp" "$bad"
  log "zone $z REJECTED, still serving the last good version: $(printf '%s\n' "$out" | sed "s#$tmp#$z.zone#g" | grep -v 'not loaded due to errors' | awk 'NR > 1 { printf "; " } { printf "%s", $0 }')"
  return 1
}

reload_zone() {
  if out=$(rndc -s 127.0.0.1 -p "$RNDC_PORT" -k "$RNDC_KEY" reload "$1" 2>&1); then
    rm -f "$DST/.$1.pending"
    log "zone $1: rndc reload: $out"
  else
    : >"$DST/.$1.pending"
    log "zone $1: rndc reload failed, retrying: $out"
  fi
}

sync_all() {
  for z in $ZONES; do
    if sync_zone "$z" && [ "$MODE" = watch ]; then reload_zone "$z"; fi
  done
}

retry_pending() {
  for z in $ZONES; do
    if [ -f "$DST/.$z.pending" ]; then reload_zone "$z"; fi
  done
}

# The stamps change only after a run has written all its zones.
stamps() { cat "$SRC"/.edgemanage.*.stamp 2>/dev/null | cksum; }

mkdir -p "$DST"
case $MODE in
  once)
    sync_all
    ;;
  watch)
    log "watching $SRC every ${INTERVAL}s for: $ZONES"
    last=$(stamps)
    sync_all
    while :; do
      # The liveness probe's heartbeat (probe.sh reloader).
      : >"$DST/.reloader.alive"
      sleep "$INTERVAL"
      now=$(stamps)
      if [ "$now" != "$last" ]; then
        last=$now
        sync_all
      fi
      retry_pending
    done
    ;;
  *)
    echo "usage: reload-zones.sh once|watch" >&2
    exit 2
    ;;
esac
