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
# Hang watchdog: neither containerd nor containers/image has a response timeout and the kubelet
# sets no deadline on PullImage, so a pull in flight to a distribution that stops answering (a
# deadlock, a frozen process, a stuck disk) would wait forever. Every HANG_PROBE_INTERVAL seconds
# the supervisor asks distribution's own loopback debug server (LOCAL_PROBE_URL, /debug/health)
# for any HTTP answer within HANG_PROBE_TIMEOUT seconds; after HANG_AFTER_PROBES probes in a row
# that got no answer (a refused connection is a start-up, not a hang) it SIGKILLs distribution
# (the kernel then closes every client connection, so runtimes retry: containerd re-opens the
# blob on the next host, the node writer leaves a still-hung mirror out) and starts it again.
# Defaults 1 s / 3 s / 2: a hang is cut within 2 * (1 + 3) = 8 s, under the 10 s the design asks,
# and a busy distribution still gets 3 s per answer (docs/mirror-hangs.md; drill:
# test/mirror-hang-drill.test.ts). Not bounded by this: the pass that measures the cache (`du`,
# every SIZE_CHECK_SECONDS) delays the watchdog by as long as `du` takes.
# The upstream probe runs in the background so its own timeout never delays the watchdog.
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
LOCAL_URL=${LOCAL_PROBE_URL:-}
HANG_INTERVAL=${HANG_PROBE_INTERVAL_SECONDS:-1}
HANG_TIMEOUT=${HANG_PROBE_TIMEOUT_SECONDS:-3}
HANG_AFTER=${HANG_AFTER_PROBES:-2}

child=""
mode=""
upstream="unknown"
fails=0
proxy_not_before=0
cache_kib=-1
size_at=0
evictions=0
hang_fails=0
hang_restarts=0
upstream_probe=""

log() { echo "registry-topology-supervisor: $*" >&2; }
now() { date +%s; }

# Any HTTP status line means distribution's own ping would succeed. Bounded by `timeout`, not
# `wget -T`: busybox builds without FEATURE_WGET_TIMEOUT lack -T (Debian 1.35 even crashes on it).
upstream_answers() {
  timeout "$PROBE_TIMEOUT" wget -S -O /dev/null "$UPSTREAM_URL/v2/" 2>&1 | grep -q 'HTTP/[0-9.]* [0-9][0-9][0-9]'
}

# distribution's own loopback server: prints "answers", "refused" (not listening yet: starting) or
# "hung" (accepted or connecting, no HTTP answer within the bound). Any status counts as answering:
# a 503 (failing storage check) is the liveness probe's business, not a hang.
local_state() {
  out=$(timeout "$HANG_TIMEOUT" wget -S -O /dev/null "$LOCAL_URL" 2>&1)
  if echo "$out" | grep -q 'HTTP/[0-9.]* [0-9][0-9][0-9]'; then
    echo answers
  elif echo "$out" | grep -q -e "can't connect" -e 'Connection refused'; then
    echo refused
  else
    echo hung
  fi
}

write_status() {
  tmp="$STATUS_FILE.tmp"
  echo "mode=$mode upstream=$upstream cache_kib=$cache_kib max_kib=$MAX_KIB evictions=$evictions hang_restarts=$hang_restarts updated=$(now)" >"$tmp" && mv -f "$tmp" "$STATUS_FILE"
}

start() {
  mode=$1
  if [ "$mode" = proxy ]; then cfg=$PROXY_CONFIG; else cfg=$READONLY_CONFIG; fi
  log "starting distribution ($mode, upstream $upstream)"
  "$REGISTRY" serve "$cfg" &
  child=$!
  write_status
}

# Is the child still running (not gone, not a zombie waiting to be reaped)?
running() {
  [ -n "$child" ] && kill -0 "$child" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$child/status" 2>/dev/null
}

# TERM (and CONT: a stopped process only acts on TERM once continued), at most $1 seconds (default
# 5) for it to end, then KILL: `wait` on a hung or stopped distribution must never hang the
# supervisor itself. distribution drains on TERM (http.draintimeout): open requests finish first.
stop() {
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null
    kill -CONT "$child" 2>/dev/null
    i=0
    while [ "$i" -lt $(( ${1:-5} * 10 )) ] && running; do
      sleep 0.1
      i=$((i + 1))
    done
    kill -KILL "$child" 2>/dev/null
    wait "$child" 2>/dev/null
    child=""
  fi
}

# Hung: cut every open connection at once (KILL closes the sockets; no graceful drain, which a
# hung server would never finish) and serve again in the same mode.
restart_hung() {
  log "distribution ($mode) gave no answer to $HANG_AFTER probes of $LOCAL_URL within ${HANG_TIMEOUT}s each: killing it (closes its open connections, clients retry) and starting it again"
  kill -KILL "$child" 2>/dev/null
  wait "$child" 2>/dev/null
  child=""
  hang_fails=0
  hang_restarts=$((hang_restarts + 1))
  start "$mode"
}

# The upstream probe, in the background; the loop reads its verdict file on a later pass.
upstream_probe_start() {
  rm -f "$CACHE_DIR/.upstream-probe"
  (if upstream_answers; then echo up; else echo down; fi >"$CACHE_DIR/.upstream-probe.tmp" && mv -f "$CACHE_DIR/.upstream-probe.tmp" "$CACHE_DIR/.upstream-probe") &
  upstream_probe=$!
}

sleeper=""
# The pod stops: pulls in flight get distribution's drain (DRAIN_SECONDS, the config's
# draintimeout) plus 2 s, inside the pod's grace period.
trap 'log "terminating: draining open pulls (at most ${DRAIN_SECONDS:-3} s)"; stop $(( ${DRAIN_SECONDS:-3} + 2 )); [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; [ -z "$upstream_probe" ] || kill "$upstream_probe" 2>/dev/null; exit 0' TERM INT

measure() {
  cache_kib=$(du -sk "$CACHE_DIR/docker" 2>/dev/null | cut -f1)
  [ -n "$cache_kib" ] || cache_kib=0
  size_at=$(now)
}

mkdir -p "$CACHE_DIR"
# No cache measurement before the first start: `du` over a full cache takes long, and a mirror
# restarted during an outage must serve at once. size_at=0 makes the first loop pass measure.
if upstream_answers; then upstream=up; start proxy; else upstream=down; start readonly; fi

# Runs until the pod stops (TERM). Each pass: at most HANG_INTERVAL of sleep plus HANG_TIMEOUT of
# local probe (the upstream probe runs in the background, one at a time, every INTERVAL seconds).
[ -n "$LOCAL_URL" ] || log "LOCAL_PROBE_URL unset: hang watchdog off"
PASS=$INTERVAL
[ -n "$LOCAL_URL" ] && [ "$HANG_INTERVAL" -lt "$PASS" ] && PASS=$HANG_INTERVAL
next_upstream=$(($(now) + INTERVAL))
while :; do
  sleep "$PASS" &
  sleeper=$!
  wait "$sleeper"
  sleeper=""
  if ! running; then
    wait "$child"
    rc=$?
    child=""
    hang_fails=0
    if [ "$mode" = proxy ]; then
      log "proxy exited ($rc); serving the cache read-only, proxy retried in ${PROXY_RETRY}s"
      proxy_not_before=$(($(now) + PROXY_RETRY))
      start readonly
      continue
    fi
    log "read-only server exited ($rc)"
    exit 1
  fi
  if [ -n "$LOCAL_URL" ]; then
    if [ "$(local_state)" = hung ]; then
      hang_fails=$((hang_fails + 1))
      if [ "$hang_fails" -ge "$HANG_AFTER" ]; then
        restart_hung
        continue
      fi
    else
      hang_fails=0
    fi
  fi
  # Start an upstream probe when due and none is running; act on a finished one.
  if [ -z "$upstream_probe" ] && [ "$(now)" -ge "$next_upstream" ]; then
    upstream_probe_start
    next_upstream=$(($(now) + INTERVAL))
  fi
  if [ -f "$CACHE_DIR/.upstream-probe" ]; then
    verdict=$(cat "$CACHE_DIR/.upstream-probe")
    rm -f "$CACHE_DIR/.upstream-probe"
    wait "$upstream_probe" 2>/dev/null
    upstream_probe=""
    if [ "$verdict" = up ]; then
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
