#!/bin/sh
# registry-topology node file writer (runs in a privileged DaemonSet pod: busybox sh + curl; also dash).
#
# Reads $SRC/manifest, one file per line: "<key> <octal mode> <anchor dir> <absolute path> <apply>";
# the content of <key> is $SRC/<key> (a ConfigMap or Secret key). A line applies only where its
# anchor directory exists on the host (it tells which runtime runs there). <apply>:
#   replace      the whole file is ours: written atomically (temp file + rename) when content or
#                mode differ; removed when no longer managed.
#   static-pod   like replace, but written only after every other file of the run succeeded, so a
#                kubelet never starts a mirror before its config exists.
#   merge-yaml   an operator-owned YAML file (k3s/RKE2 registries.yaml): our entries go in one
#                marked block under each of our top-level keys; every other line stays as it is.
#                When no longer managed the blocks are removed (and the file too if we created it).
#   containerd-config-path
#                containerd's config.toml: one marked `config_path` line in the CRI registry table
#                and nothing else; removed again when no longer managed.
# Files with "#@mirror <url>" ... "#@end" blocks are health-aware: a block whose mirror fails its
# probe (GET <url>/v2/, bounded by $PROBE_TIMEOUT_SECONDS) is left out, so new pulls skip a dead
# or hung mirror; the real registry stays the runtime's last fallback. If every mirror fails its
# probe, all are kept (the probe itself may be what is broken).
#
# Fail-safe: an unreadable or invalid manifest, or a missing key, changes nothing on the host
# (nothing is written or removed), is reported, and is retried; RUN_ONCE=1 then exits non-zero.
# Status: a "STATUS ..." line (what is active on this node and why; on mirror nodes, each mirror's
# mode and cache size from $MIRROR_STATUS_DIR) on every change and every $INTERVAL_SECONDS; read
# it with kubectl logs (README "How to check a node's effective config").
set -u
HOST=${HOST_ROOT:-/host}
SRC=${SRC_DIR:-/files}
STATE=${STATE_FILE:?STATE_FILE is required (absolute path on the host)}
INTERVAL=${INTERVAL_SECONDS:-60}
HEALTH_INTERVAL=${HEALTH_INTERVAL_SECONDS:-5}
PROBE_TIMEOUT=${PROBE_TIMEOUT_SECONDS:-2}
NODE=${NODE_NAME:-$(hostname)}
MARK=registry-topology
WORK=$(mktemp -d) || exit 1
trap 'rm -rf "$WORK"' EXIT
trap 'exit 143' TERM INT

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*"; }

# ---- manifest: validated and copied in full before anything on the host is touched ----------
load_sources() {
  rm -rf "$WORK/src" && mkdir "$WORK/src" || return 1
  if [ ! -r "$SRC/manifest" ] || ! cp "$SRC/manifest" "$WORK/src/manifest" 2>/dev/null; then
    log "ERROR: cannot read $SRC/manifest: keeping every file on this node as it is"
    return 1
  fi
  n=0
  while read -r key mode anchor dest apply extra; do
    [ -n "${key:-}" ] || continue
    n=$((n + 1))
    bad=""
    case "$key" in *[!a-z0-9]*) bad="bad key" ;; esac
    case "${mode:-}" in 0644 | 0600) ;; *) bad="bad mode" ;; esac
    case "${anchor:-}" in /*) ;; *) bad="bad anchor" ;; esac
    case "${dest:-}" in /*/*) ;; *) bad="bad path" ;; esac
    case "${apply:-}" in replace | static-pod | merge-yaml | containerd-config-path) ;; *) bad="bad apply mode" ;; esac
    [ -z "${extra:-}" ] || bad="extra fields"
    if [ -z "$bad" ] && ! cp "$SRC/$key" "$WORK/src/$key" 2>/dev/null; then bad="content $SRC/$key unreadable"; fi
    if [ -n "$bad" ]; then
      log "ERROR: manifest line $n ($bad): keeping every file on this node as it is"
      return 1
    fi
  done <"$WORK/src/manifest"
  if [ "$n" = 0 ]; then
    log "ERROR: manifest lists no file (the writer only runs where files are managed): keeping every file as it is"
    return 1
  fi
}

# ---- mirror health ----------------------------------------------------------------------------
# Probe one mirror: any HTTP answer below 500 to GET /v2/ within the bound is healthy (401 means
# the mirror is alive and wants credentials). Mirrors require a client certificate (mTLS):
# PROBE_CACERT/PROBE_CERT/PROBE_KEY name the node's copies (host paths); when the manifest delivers
# that path, the delivered content is used (fresh, and there before the first write), else the
# file on the host. curl does the TLS (the writer image has it); without curl, busybox wget, which
# cannot present a client certificate (only anonymous plain-HTTP mirrors can be probed with it).
probe_tls_file() { # $1 = host path; prints the file to use
  k=$(awk -v p="$1" '$4 == p { print $1; exit }' "$WORK/src/manifest" 2>/dev/null)
  if [ -n "$k" ] && [ -f "$WORK/src/$k" ]; then echo "$WORK/src/$k"; else echo "$HOST$1"; fi
}

probe() {
  if command -v curl >/dev/null 2>&1; then
    set -- "$1/v2/"
    [ -n "${PROBE_CACERT:-}" ] && set -- "$@" --cacert "$(probe_tls_file "$PROBE_CACERT")"
    [ -n "${PROBE_CERT:-}" ] && set -- "$@" --cert "$(probe_tls_file "$PROBE_CERT")" --key "$(probe_tls_file "${PROBE_KEY:-}")"
    code=$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout "$PROBE_TIMEOUT" --max-time "$PROBE_TIMEOUT" "$@" 2>/dev/null)
    [ -n "$code" ] && [ "$code" -gt 0 ] && [ "$code" -lt 500 ]
  else
    # busybox wget exits non-zero on 401 too, so only anonymous mirrors can be probed with it.
    timeout "$PROBE_TIMEOUT" wget -q -O /dev/null "$1/v2/" >/dev/null 2>&1
  fi
}

# Writes $WORK/down (one URL per line); returns 0 when it differs from the previous result.
probe_mirrors() {
  : >"$WORK/urls.new"
  for f in "$WORK"/src/*; do sed -n 's/^#@mirror \([^ ]*\)$/\1/p' "$f"; done | sort -u >"$WORK/urls.new"
  rm -f "$WORK"/probe.*
  i=0
  while read -r u; do
    i=$((i + 1))
    (probe "$u" || echo "$u" >"$WORK/probe.$i") &
  done <"$WORK/urls.new"
  wait
  cat "$WORK"/probe.* 2>/dev/null | sort >"$WORK/down.new"
  total=$(grep -c . "$WORK/urls.new")
  MIRRORS_TOTAL=$total
  ndown=$(grep -c . "$WORK/down.new")
  if [ "$total" -gt 0 ] && [ "$ndown" = "$total" ]; then
    [ -f "$WORK/all-down" ] || log "WARNING: every mirror failed its probe; keeping all of them listed (the probe may be what is broken)"
    : >"$WORK/all-down"
    : >"$WORK/down.new"
  else
    rm -f "$WORK/all-down"
  fi
  if [ -f "$WORK/down" ] && cmp -s "$WORK/down" "$WORK/down.new"; then return 1; fi
  if [ -f "$WORK/down" ]; then
    while read -r u; do grep -qxF "$u" "$WORK/down.new" || log "mirror $u passes its probe again: listed again"; done <"$WORK/down"
  fi
  while read -r u; do log "mirror $u failed its probe (no answer below 500 within ${PROBE_TIMEOUT}s): left out"; done <"$WORK/down.new"
  mv -f "$WORK/down.new" "$WORK/down"
  return 0
}

# Content of a key with the blocks of unhealthy mirrors left out.
render() {
  [ -f "$WORK/down" ] || : >"$WORK/down"
  awk -v down="$WORK/down" '
    BEGIN { while ((getline l < down) > 0) d[l] = 1 }
    /^#@mirror / { skip = ($2 in d); if (skip) print "# mirror " $2 " left out: it failed its health probe"; else print; next }
    /^#@end$/ { if (!skip) print; skip = 0; next }
    !skip { print }' "$1"
}

# ---- merge-yaml: our entries in marked blocks of an operator-owned YAML file --------------------
strip_blocks() {
  awk -v b="# BEGIN $MARK" -v e="# END $MARK" '
    index($0, b) == 1 { skip = 1; next }
    skip && index($0, e) == 1 { skip = 0; next }
    !skip { print }' "$1"
}

# $1 = base (operator's part), $2 = ours. Prints the merged file, or fails with a reason on stderr.
merge_yaml() {
  awk -v base="$1" -v b="# BEGIN $MARK (managed entries; edit outside these markers)" -v e="# END $MARK" '
    function indent(s) { match(s, /^ */); return RLENGTH }
    function keyof(s,   k) { k = s; sub(/^ */, "", k); sub(/:([ \t].*)?$/, "", k); gsub(/^["\047]|["\047]$/, "", k); return k }
    BEGIN {
      nb = 0; while ((getline l < base) > 0) B[++nb] = l
    }
    # ours: top-level "key:" lines, children indented by two spaces
    /^[A-Za-z_][A-Za-z0-9_]*:[ \t]*$/ { top = $0; sub(/:.*/, "", top); order[++nt] = top; next }
    /^#/ || /^[ \t]*$/ { next }
    { if (top == "") { print "registry-topology: unexpected line in our YAML: " $0 > "/dev/stderr"; exit 2 }
      C[top] = C[top] $0 "\n"; if (indent($0) == 2) mine[top, keyof($0)] = 1 }
    END {
      if (nt == 0) exit 0
      for (t = 1; t <= nt; t++) {
        k = order[t]; at[k] = 0
        for (i = 1; i <= nb; i++) if (B[i] ~ ("^" k ":")) {
          if (B[i] !~ ("^" k ":[ \t]*(#.*)?$")) { print "registry-topology: " k ": is written in flow style; write it as a block mapping" > "/dev/stderr"; exit 3 }
          at[k] = i; ci[k] = 2
          for (j = i + 1; j <= nb; j++) {
            if (B[j] ~ /^[ \t]*(#.*)?$/) continue
            if (indent(B[j]) == 0) break
            if (ci[k] == 2 && !seen[k]) { ci[k] = indent(B[j]); seen[k] = 1 }
            if (indent(B[j]) == ci[k] && ((k, keyof(B[j])) in mine)) { print "registry-topology: " k "." keyof(B[j]) " is already set by the operator; not merging ours" > "/dev/stderr"; exit 4 }
          }
        }
      }
      for (i = 1; i <= nb; i++) {
        print B[i]
        for (t = 1; t <= nt; t++) { k = order[t]; if (at[k] == i) emit(k, ci[k]) }
      }
      for (t = 1; t <= nt; t++) { k = order[t]; if (at[k] == 0) { print b; print k ":"; emit2(k); print e } }
    }
    function emit(k, n,   pad, lines, m, x) {
      pad = sprintf("%" n - 2 "s", ""); print b
      m = split(C[k], lines, "\n"); for (x = 1; x < m; x++) print pad lines[x]
      print e
    }
    function emit2(k,   lines, m, x) { m = split(C[k], lines, "\n"); for (x = 1; x < m; x++) print lines[x] }
  ' "$2"
}

# ---- containerd: one config_path line, nothing else ---------------------------------------------
ctrd_strip() {
  strip_blocks "$1" | awk -v m="# managed by $MARK" 'index($0, m) == 0'
}

# $1 = current config.toml (may not exist), $2 = config_path value. Prints the new file or fails
# with the reason on stderr (nothing is changed then).
ctrd_activate() {
  if [ ! -f "$1" ] || ! ctrd_strip "$1" | grep -q '[^[:space:]]'; then
    printf '# BEGIN %s (no config.toml existed: containerd defaults + config_path)\nversion = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "%s"\n# END %s\n' "$MARK" "$2" "$MARK"
    return 0
  fi
  ctrd_strip "$1" | awk -v dir="$2" -v m="# managed by $MARK: remove this line to take config_path over" '
    { L[++n] = $0 }
    /^[ \t]*#/ { next }
    !hdr_seen && /^[ \t]*version[ \t]*=/ { v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]*(#.*)?$/, "", v) }
    /^[ \t]*\[/ { hdr_seen = 1 }
    /^[ \t]*config_path[ \t]*=/ { cp = $0; sub(/^[^=]*=[ \t]*/, "", cp); sub(/[ \t]*(#.*)?$/, "", cp) }
    /registry[ \t]*\.[ \t]*mirrors/ { legacy = 1 }
    /^[ \t]*registry[ \t]*[.=]/ { dotted = 1 }
    END {
      if (cp != "") { print "config_path is already set to " cp " by the operator (not ours); add " dir " to it or leave hosts.toml unused" > "/dev/stderr"; exit 3 }
      if (legacy) { print "config.toml has a legacy registry.mirrors table: with config_path the CRI plugin fails to load; remove that table first" > "/dev/stderr"; exit 3 }
      if (dotted) { print "config.toml sets registry with a dotted key or inline table; set config_path there yourself" > "/dev/stderr"; exit 3 }
      if (v == "2") p = "io\\.containerd\\.grpc\\.v1\\.cri"; else if (v == "3") p = "io\\.containerd\\.cri\\.v1\\.images"
      else { print "config.toml has no `version = 2` or `version = 3` (version " (v == "" ? "1 by default" : v) "); set config_path yourself" > "/dev/stderr"; exit 3 }
      re = "^[ \t]*\\[[ \t]*plugins[ \t]*\\.[ \t]*[\"\047]" p "[\"\047][ \t]*\\.[ \t]*registry[ \t]*\\][ \t]*(#.*)?$"
      done = 0
      for (i = 1; i <= n; i++) { print L[i]; if (!done && L[i] ~ re) { print "  config_path = \"" dir "\" " m; done = 1 } }
      if (!done) {
        print "# BEGIN registry-topology (config_path only; removed when no longer managed)"
        print (v == "2" ? "[plugins.\"io.containerd.grpc.v1.cri\".registry]" : "[plugins.\"io.containerd.cri.v1.images\".registry]")
        print "  config_path = \"" dir "\""
        print "# END registry-topology"
      }
    }'
}

# Is the running containerd (seen with hostPID) younger than its config? Prints a status word.
# Start time: /proc/<pid>/stat field 22 (clock ticks since boot; USER_HZ is 100 on Linux) plus
# btime from /proc/stat (proc(5)); the mtime of /proc/<pid> is not the start time.
ctrd_runtime_state() {
  pid=$(pidof "${CONTAINERD_PROCESS:-containerd}" 2>/dev/null | awk '{print $1}')
  [ -n "$pid" ] || { echo "config_path set; containerd process not visible (hostPID off?)"; return; }
  ticks=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $20}')
  btime=$(awk '$1 == "btime" {print $2}' /proc/stat 2>/dev/null)
  changed=$(stat -c %Y "$1" 2>/dev/null || echo 0)
  if [ -z "$ticks" ] || [ -z "$btime" ]; then echo "config_path set; containerd start time unknown"; return; fi
  if [ "$changed" -gt $((btime + ticks / 100)) ]; then echo "pending-restart: containerd started before config.toml last changed; restart containerd once"; else echo "active"; fi
}

# ---- one sync ------------------------------------------------------------------------------------
write_atomic() { # $1 = content file, $2 = target, $3 = mode or "keep"
  dir=$(dirname "$2")
  tmp="$dir/.$(basename "$2").rt-tmp"
  keep=$(stat -c %a "$2" 2>/dev/null || echo "")
  m=$3
  [ "$m" = keep ] && m=${keep:-644}
  if mkdir -p "$dir" && cp "$1" "$tmp" && chmod "$m" "$tmp" && mv -f "$tmp" "$2"; then return 0; fi
  rm -f "$tmp"
  return 1
}

note_changed() {
  case "$1" in
    /etc/containers/*) crio_changed=1 ;;
    /etc/rancher/*) k3s_changed="$k3s_changed $1" ;;
  esac
}

# ---- node-side restart digest (docs/token-refresher.md) ---------------------------------------
# A static pod whose content holds "@node-digest@" gets in its place a digest of the host files
# named on its "# registry-topology node-digest-of: <path> ..." line, as written earlier in this
# run (static pods come last), keyed with $SRC/restartkey when the Secret has one (the files hold
# credentials: without the key the digest tells nothing about them). A credential that reaches
# the node between two `pulumi up`s (the token refresher writes it through the writer's Secret)
# then still changes the manifest, and the kubelet restarts that mirror. Other pods: unchanged.
node_digest() { # $1 = rendered static-pod content (edited in place)
  grep -q '@node-digest@' "$1" || return 0
  nd_paths=$(sed -n 's/^# registry-topology node-digest-of: //p' "$1" | head -n 1)
  {
    if [ -r "$SRC/restartkey" ]; then cat "$SRC/restartkey"; fi
    for nd_p in $nd_paths; do
      printf '\n%s\n' "$nd_p"
      if [ -f "$HOST$nd_p" ]; then sha256sum <"$HOST$nd_p" | cut -d' ' -f1; else echo missing; fi
    done
  } | sha256sum | cut -c1-32 >"$WORK/node-digest" || return 1
  sed -i "s/@node-digest@/$(cat "$WORK/node-digest")/" "$1"
}

apply_line() { # key mode dest apply target
  key=$1 mode=$2 dest=$3 apply=$4 target=$5
  render "$WORK/src/$key" >"$WORK/want"
  if [ "$apply" = static-pod ]; then node_digest "$WORK/want" || return 1; fi
  case "$apply" in
    replace | static-pod)
      current_mode=$(stat -c %a "$target" 2>/dev/null || echo none)
      if [ -f "$target" ] && cmp -s "$WORK/want" "$target" && [ "$current_mode" = "${mode#0}" ]; then return 0; fi
      write_atomic "$WORK/want" "$target" "$mode" || return 1
      ;;
    merge-yaml)
      if [ -f "$target" ]; then strip_blocks "$target" >"$WORK/base"; else : >"$WORK/base"; echo "$dest" >>"$WORK/created"; fi
      if ! merge_yaml "$WORK/base" "$WORK/want" >"$WORK/merged" 2>"$WORK/why"; then
        # A state of the node, not a failure of this run: reported, file untouched, no retry storm.
        status_add "$dest" "inactive: $(tr '\n' ' ' <"$WORK/why" | sed 's/ $//')"
        log "NOTICE: not merging into $dest: $(cat "$WORK/why")"
        return 0
      fi
      status_add "$dest" "merged"
      if [ -f "$target" ] && cmp -s "$WORK/merged" "$target"; then return 0; fi
      if [ -f "$target" ]; then write_atomic "$WORK/merged" "$target" keep || return 1; else write_atomic "$WORK/merged" "$target" "$mode" || return 1; fi
      ;;
    containerd-config-path)
      dir=$(sed -n 's/^[ \t]*config_path[ \t]*=[ \t]*"\([^"]*\)".*/\1/p' "$WORK/want" | head -n 1)
      [ -n "$dir" ] || { log "ERROR: the content for $dest (manifest key $key) names no config_path"; return 1; }
      [ -f "$target" ] || echo "$dest" >>"$WORK/created"
      if ! ctrd_activate "$target" "$dir" >"$WORK/ctrd" 2>"$WORK/why"; then
        status_add containerd "inactive: $(tr '\n' ' ' <"$WORK/why" | sed 's/ $//')"
        log "NOTICE: hosts.toml is not active: $(cat "$WORK/why")"
        return 0
      fi
      if ! { [ -f "$target" ] && cmp -s "$WORK/ctrd" "$target"; }; then
        if [ -f "$target" ]; then write_atomic "$WORK/ctrd" "$target" keep || return 1; else write_atomic "$WORK/ctrd" "$target" "$mode" || return 1; fi
        log "wrote $dest (config_path only)"
      fi
      state=$(ctrd_runtime_state "$target")
      if grep -q '^[[:space:]]*imports[[:space:]]*=' "$target"; then
        # 1.x: a CRI table in an imported file replaces this one, config_path included.
        state="$state; config.toml has imports: check containerd config dump shows config_path"
      fi
      status_add containerd "$state"
      return 0
      ;;
  esac
  log "wrote $dest"
  note_changed "$dest"
}

# One `key="value"` pair of the STATUS line (value without double quotes).
status_add() { STATUS_PARTS="$STATUS_PARTS $1=\"$(printf '%s' "$2" | tr -d '"\n')\""; }

# Remove what we managed before and no longer do; $1 = apply mode, $2 = path, $3 = "created" or "".
unmanage() {
  target="$HOST$2"
  [ -e "$target" ] || return 0
  case "$1" in
    merge-yaml | containerd-config-path)
      if [ "$1" = merge-yaml ]; then strip_blocks "$target" >"$WORK/rest"; else ctrd_strip "$target" >"$WORK/rest"; fi
      if [ "$3" = created ] && ! grep -q '[^[:space:]]' "$WORK/rest"; then
        rm -f "$target" && log "removed $2 (we created it; nothing else in it)"
      elif ! cmp -s "$WORK/rest" "$target"; then
        write_atomic "$WORK/rest" "$target" keep && log "removed our entries from $2; the rest is as it was"
      fi
      ;;
    *) rm -f "$target" && log "removed $2 (no longer managed)" ;;
  esac
  note_changed "$2"
}

# Callers load the sources first (load_sources): one copy of the manifest and contents per round.
sync_once() {
  STATUS_PARTS=""
  errors=0
  crio_changed=0
  k3s_changed=""
  : >"$WORK/state.new"
  : >"$WORK/created"
  [ -f "$HOST$STATE" ] && cp "$HOST$STATE" "$WORK/state.old" || : >"$WORK/state.old"
  for pass in files static-pods; do
    while read -r key mode anchor dest apply; do
      [ -n "${key:-}" ] || continue
      [ -d "$HOST$anchor" ] || continue
      if [ "$apply" = static-pod ]; then [ "$pass" = static-pods ] || continue; else [ "$pass" = files ] || continue; fi
      created=$(awk -v p="$dest" '$2 == p && $3 == "created" { print "created" }' "$WORK/state.old")
      if [ "$pass" = static-pods ] && [ "$errors" -gt 0 ]; then
        log "ERROR: not writing static pod $dest: a file it may depend on failed above"
      elif ! apply_line "$key" "$mode" "$dest" "$apply" "$HOST$dest" </dev/null; then
        log "ERROR: could not apply $dest"
        errors=$((errors + 1))
      fi
      grep -qxF "$dest" "$WORK/created" && created=created
      echo "$apply $dest${created:+ $created}" >>"$WORK/state.new"
    done <"$WORK/src/manifest"
  done

  # State lines: "<apply> <path> [created]" (a bare "<path>" from older writers means replace).
  while read -r a p c; do
    [ -n "${a:-}" ] || continue
    [ -n "${p:-}" ] || { p=$a; a=replace; }
    awk -v p="$p" '$2 == p { f = 1 } END { exit !f }' "$WORK/state.new" && continue
    unmanage "$a" "$p" "${c:-}"
  done <"$WORK/state.old"
  mkdir -p "$(dirname "$HOST$STATE")"
  cp "$WORK/state.new" "$HOST$STATE.rt-tmp" && mv -f "$HOST$STATE.rt-tmp" "$HOST$STATE"

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
  [ -d "$HOST/etc/containers" ] && grep -q 'containers/' "$WORK/state.new" && status_add crio "active (drop-in written)"
  # Mirror nodes: each mirror's own status line (supervisor.sh; mirrorStatus.ts has the format).
  if [ -n "${MIRROR_STATUS_DIR:-}" ]; then
    for f in "$HOST$MIRROR_STATUS_DIR"/*/registry-topology-status; do
      [ -f "$f" ] || continue
      status_add "mirror-$(basename "$(dirname "$f")")" "$(head -n 1 "$f")"
    done
  fi
  status_add mirrors-probed "${MIRRORS_TOTAL:-0}"
  status_add mirrors-left-out "$(tr '\n' ' ' <"$WORK/down" | sed 's/ $//')"
  [ "$errors" = 0 ] || status_add errors "$errors"
  return "$errors"
}

report_status() {
  line="STATUS node=$NODE$STATUS_PARTS"
  if [ "${1:-}" = always ] || [ "$line" != "${LAST_STATUS:-}" ]; then log "$line"; fi
  LAST_STATUS=$line
}

if [ "${RUN_ONCE:-0}" = 1 ]; then
  if load_sources; then
    probe_mirrors || true
    sync_once
    rc=$?
  else
    STATUS_PARTS=""
    rc=1
  fi
  report_status always
  exit "$rc"
fi
log "node file writer started on $NODE: full sync every ${INTERVAL}s, mirror probes every ${HEALTH_INTERVAL}s"
last_full=0
while true; do
  now=$(date +%s)
  if load_sources; then
    changed=0
    probe_mirrors && changed=1
    due=0
    [ $((now - last_full)) -ge "$INTERVAL" ] && due=1
    if [ "$changed" = 1 ] || [ "$due" = 1 ]; then
      if sync_once; then
        [ "$due" = 1 ] && last_full=$now
      else
        log "sync finished with errors; retrying in ${HEALTH_INTERVAL}s"
        last_full=0
      fi
      if [ "$due" = 1 ]; then report_status always; else report_status; fi
    fi
  else
    STATUS_PARTS=""
    status_add error "manifest unreadable: kept every file, retrying"
    report_status
  fi
  # In the background and waited for: a TERM then ends the writer at once (a foreground sleep
  # would hold the trap until it returns, racing the pod's grace period).
  sleep "$HEALTH_INTERVAL" &
  wait $! || true
done
