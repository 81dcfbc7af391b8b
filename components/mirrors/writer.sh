#!/bin/sh
# registry-topology node file writer (runs in a privileged DaemonSet pod, busybox sh).
# Reads $SRC/manifest, one file per line: "<key> <octal mode> <anchor dir> <absolute path>";
# the content of <key> is $SRC/<key> (a ConfigMap or Secret key). For each file whose anchor
# directory exists on the host, writes it only when its content or mode differs, atomically
# (temp file in the same directory + rename). Records what it manages in $STATE and deletes
# files it managed before and no longer does. Sends SIGHUP to CRI-O when a file under
# /etc/containers changed. Repeats every $INTERVAL seconds (RUN_ONCE=1: once, exit status 1 on error).
set -u
HOST=${HOST_ROOT:-/host}
SRC=${SRC_DIR:-/files}
STATE=${STATE_FILE:?STATE_FILE is required (absolute path on the host)}
INTERVAL=${INTERVAL_SECONDS:-60}

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*"; }

sync_once() {
  errors=0
  crio_changed=0
  k3s_changed=""
  new_state=$(mktemp)
  while read -r key mode anchor dest; do
    [ -n "${key:-}" ] || continue
    if [ ! -d "$HOST$anchor" ]; then
      continue
    fi
    echo "$dest" >>"$new_state"
    target="$HOST$dest"
    current_mode=$(stat -c %a "$target" 2>/dev/null || echo none)
    if [ -f "$target" ] && cmp -s "$SRC/$key" "$target" && [ "$current_mode" = "${mode#0}" ]; then
      continue
    fi
    dir=$(dirname "$target")
    tmp="$dir/.$(basename "$target").rt-tmp"
    if mkdir -p "$dir" && cp "$SRC/$key" "$tmp" && chmod "$mode" "$tmp" && mv -f "$tmp" "$target"; then
      log "wrote $dest"
      case "$dest" in
        /etc/containers/*) crio_changed=1 ;;
        /etc/rancher/*) k3s_changed="$k3s_changed $dest" ;;
      esac
    else
      rm -f "$tmp"
      log "ERROR: could not write $dest"
      errors=$((errors + 1))
    fi
  done <"$SRC/manifest"

  if [ -f "$HOST$STATE" ]; then
    while read -r old; do
      [ -n "$old" ] || continue
      grep -qxF "$old" "$new_state" && continue
      if rm -f "$HOST$old"; then
        log "removed $old (no longer managed)"
        case "$old" in /etc/containers/*) crio_changed=1 ;; esac
      fi
    done <"$HOST$STATE"
  fi
  mkdir -p "$(dirname "$HOST$STATE")"
  cp "$new_state" "$HOST$STATE.rt-tmp" && mv -f "$HOST$STATE.rt-tmp" "$HOST$STATE"
  rm -f "$new_state"

  if [ "$crio_changed" = 1 ]; then
    pids=$(pidof crio 2>/dev/null || true)
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -HUP $pids && log "sent SIGHUP to crio ($pids): registries.conf.d reloaded"
    else
      log "crio is not running here; nothing to reload"
    fi
  fi
  if [ -n "$k3s_changed" ]; then
    log "NOTICE:$k3s_changed changed: k3s/RKE2 read registries.yaml at start only; restart the k3s/rke2 service on this node to apply it"
  fi
  if [ -f "$HOST/etc/containerd/config.toml" ] && grep -q 'registry\.mirrors' "$HOST/etc/containerd/config.toml"; then
    log "WARNING: /etc/containerd/config.toml has a legacy registry.mirrors table; with config_path set, containerd's CRI plugin fails to load. Remove that table."
  fi
  return "$errors"
}

if [ "${RUN_ONCE:-0}" = 1 ]; then
  sync_once
  exit $?
fi
log "node file writer started: $(grep -c . "$SRC/manifest") files in manifest, every ${INTERVAL}s"
while true; do
  sync_once || log "sync finished with errors; retrying in ${INTERVAL}s"
  sleep "$INTERVAL"
done
