#!/bin/sh
# registry-topology mirror supervisor (PID 1 of a mirror static pod; busybox sh + wget).
#
# distribution's proxy contacts its upstream while it starts and panics when it cannot
# (registry/proxy/proxyauth.go getAuthURLs -> handlers/app.go panic, v2.8.2 and v3.0.0), so a
# mirror (re)started during an upstream outage would crash-loop instead of serving its cache.
# This script runs distribution in one of two modes on the SAME storage root and port:
#   proxy     PROXY_CONFIG    pull-through; used while the upstream answers
#   readonly  READONLY_CONFIG no proxy section, storage.maintenance.readonly: serves what the
#                             proxy cached (same layout), refuses writes; used while it does not
# and switches between them by probing the upstream (any HTTP answer on /v2/ counts: that is
# all distribution's start-up ping needs). A proxy that exits anyway (bad TLS, bad config) is
# replaced by the read-only server at once and retried after PROXY_RETRY_SECONDS.
# Cache size bound: while in proxy mode and the upstream answers, a cache above CACHE_MAX_KIB is
# emptied and refilled on demand; never while the upstream is down (it is all there is then).
# Status for node status reporting: one line of key=value in STATUS_FILE (see mirrorStatus.ts).
set -u

: "${UPSTREAM_URL:?}" "${PROXY_CONFIG:?}" "${READONLY_CONFIG:?}" "${CACHE_DIR:?}"
INTERVAL=${PROBE_INTERVAL_SECONDS:-5}
PROBE_TIMEOUT=${PROBE_TIMEOUT_SECONDS:-3}
DOWN_AFTER=${DOWN_AFTER_PROBES:-3}
PROXY_RETRY=${PROXY_RETRY_SECONDS:-60}
MAX_KIB=${CACHE_MAX_KIB:-0}
SIZE_EVERY=${SIZE_CHECK_SECONDS:-60}
STATUS_FILE=${STATUS_FILE:-$CACHE_DIR/registry-topology-status}
REGISTRY=${REGISTRY_BIN:-/bin/registry}

child=""
mode=""
upstream="unknown"
fails=0
proxy_not_before=0
cache_kib=-1
size_at=0
evictions=0

log() { echo "registry-topology-supervisor: $*" >&2; }
now() { date +%s; }

# Any HTTP status line means distribution's own ping would succeed. Bounded by `timeout`, not
# `wget -T`: busybox builds without FEATURE_WGET_TIMEOUT lack -T (Debian 1.35 even crashes on it).
upstream_answers() {
  timeout "$PROBE_TIMEOUT" wget -S -O /dev/null "$UPSTREAM_URL/v2/" 2>&1 | grep -q 'HTTP/[0-9.]* [0-9][0-9][0-9]'
}

write_status() {
  tmp="$STATUS_FILE.tmp"
  echo "mode=$mode upstream=$upstream cache_kib=$cache_kib max_kib=$MAX_KIB evictions=$evictions updated=$(now)" >"$tmp" && mv -f "$tmp" "$STATUS_FILE"
}

start() {
  mode=$1
  if [ "$mode" = proxy ]; then cfg=$PROXY_CONFIG; else cfg=$READONLY_CONFIG; fi
  log "starting distribution ($mode, upstream $upstream)"
  "$REGISTRY" serve "$cfg" &
  child=$!
  write_status
}

stop() {
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
    child=""
  fi
}

sleeper=""
trap 'log "terminating"; stop; [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; exit 0' TERM INT

measure() {
  cache_kib=$(du -sk "$CACHE_DIR/docker" 2>/dev/null | cut -f1)
  [ -n "$cache_kib" ] || cache_kib=0
  size_at=$(now)
}

mkdir -p "$CACHE_DIR"
# No cache measurement before the first start: `du` over a full cache takes long, and a mirror
# restarted during an outage must serve at once. size_at=0 makes the first loop pass measure.
if upstream_answers; then upstream=up; start proxy; else upstream=down; start readonly; fi

# Runs until the pod stops (TERM); each pass is bounded by INTERVAL and the probe's timeout.
while :; do
  sleep "$INTERVAL" &
  sleeper=$!
  wait "$sleeper"
  sleeper=""
  if ! kill -0 "$child" 2>/dev/null; then
    wait "$child"
    rc=$?
    child=""
    if [ "$mode" = proxy ]; then
      log "proxy exited ($rc); serving the cache read-only, proxy retried in ${PROXY_RETRY}s"
      proxy_not_before=$(($(now) + PROXY_RETRY))
      start readonly
      continue
    fi
    log "read-only server exited ($rc)"
    exit 1
  fi
  if upstream_answers; then
    upstream=up
    fails=0
    if [ "$mode" = readonly ] && [ "$(now)" -ge "$proxy_not_before" ]; then
      stop
      start proxy
    fi
  else
    upstream=down
    fails=$((fails + 1))
    if [ "$mode" = proxy ] && [ "$fails" -ge "$DOWN_AFTER" ]; then
      stop
      start readonly
    fi
  fi
  if [ $(($(now) - size_at)) -ge "$SIZE_EVERY" ]; then
    measure
    if [ "$MAX_KIB" -gt 0 ] && [ "$cache_kib" -gt "$MAX_KIB" ] && [ "$mode" = proxy ] && [ "$upstream" = up ]; then
      log "cache ${cache_kib} KiB exceeds ${MAX_KIB} KiB: emptying it (the upstream answers; it refills on demand)"
      stop
      rm -rf "$CACHE_DIR/docker" "$CACHE_DIR/scheduler-state.json"
      evictions=$((evictions + 1))
      measure
      start proxy
    fi
  fi
  write_status
done
