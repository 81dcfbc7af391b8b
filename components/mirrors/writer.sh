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
# Full disk: every write into the scratch directory ($SCRATCH_DIR, a bounded emptyDir) is checked
# and a failed one aborts the round before anything is removed; a host file is replaced only by
# a temp file beside it whose content was verified (cmp) and synced, then renamed.
# Paths: manifest lines and state entries must pass path_bad (the rule of hostPaths.ts) and no
# existing component of a path may be a symlink (nothing is read, written or removed through one).
# State ($STATE_FILE on the host): "<apply> <path> [created]" per managed file, "dir <path>" per
# directory the writer created. It is written before a round touches the host (old entries plus
# this round's), and again after it; a removal that fails stays in it and is retried.
# WRITER_MODE=cleanup (destroy): every file in the state is restored (our blocks/lines removed,
# our files and directories deleted, mirror caches purged once their pods stopped); each clean
# round touches $CLEAN_MARKER (the pod's readiness) and reports cleanup="clean".
# Status: a "STATUS ..." line (what is active on this node and why; on mirror nodes, each mirror's
# mode and cache size from $MIRROR_STATUS_DIR) on every change and every $INTERVAL_SECONDS; read
# it with kubectl logs (docs/operations.md, "How to check a node's effective config").
set -u
# Every file the writer creates starts private (secrets are never readable, not even as a temp
# file); a public file is widened to its mode just before its rename.
umask 077
HOST=${HOST_ROOT:-/host}
SRC=${SRC_DIR:-/files}
STATE=${STATE_FILE:?STATE_FILE is required (absolute path on the host)}
INTERVAL=${INTERVAL_SECONDS:-60}
HEALTH_INTERVAL=${HEALTH_INTERVAL_SECONDS:-5}
PROBE_TIMEOUT=${PROBE_TIMEOUT_SECONDS:-2}
NODE=${NODE_NAME:-$(hostname)}
ALLOWED_ROOTS=${ALLOWED_ROOTS:-/etc /var/lib}
SCRATCH=${SCRATCH_DIR:-${TMPDIR:-/tmp}}
WRITER_MODE=${WRITER_MODE:-sync}
CLEAN_MARKER=${CLEAN_MARKER:-$SCRATCH/registry-topology-clean}
# A mirror whose status file did not change for this long has stopped (supervisor: every 5 s).
MIRROR_STOPPED_AFTER=${MIRROR_STOPPED_AFTER_SECONDS:-30}
MARK=registry-topology
# Node files that existed before the writer first replaced them, kept to be put back.
SAVED_DIR=$(dirname "$STATE")/saved
WORK=$(mktemp -d "$SCRATCH/writer.XXXXXX") || { echo "ERROR: cannot create a scratch directory in $SCRATCH"; exit 1; }
CUR_TMP=""
trap 'rm -rf "$WORK"; [ -z "$CUR_TMP" ] || rm -f "$CUR_TMP"' EXIT
trap 'exit 143' TERM INT

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*"; }

# ---- checked scratch writes, the path rule, host writes -----------------------------------------
# out FILE CMD [ARGS...]: CMD's stdout into FILE (scratch). busybox awk, sed, grep, sort and head
# exit 0 when their write fails (a full disk gave empty files that were then written to the host),
# so the output goes through cat, which does not. Returns CMD's own status when it failed, and
# 120 (logged) when the write did.
out() {
  _of=$1
  shift
  _st=$({ { "$@"; echo "$?" >&3; } | cat >"$_of" || echo w >&3; } 3>&1)
  case "$_st" in
    0) return 0 ;;
    *w* | "") log "ERROR: cannot write $_of (scratch full?): round aborted"; return 120 ;;
    *) return "$_st" ;;
  esac
}

# put LINE FILE: append one line to a scratch file (echo reports a failed write; logged).
put() { echo "$1" >>"$2" || { log "ERROR: cannot write $2 (scratch full?): round aborted"; return 120; }; }

# path_bad PATH: succeeds (with the reason in $WHY) when PATH may not be managed. The same rule
# as hostPaths.ts checkHostPath (the tests hold both to HOST_PATH_CASES). No subshell: it runs
# for every manifest line and state entry.
path_bad() {
  case "$1" in *[!A-Za-z0-9._:+/-]*) WHY="characters outside [A-Za-z0-9._:+/-]"; return 0 ;; esac
  case "$1/" in *//* | */./* | */../*) WHY="an empty, '.' or '..' segment"; return 0 ;; esac
  for _r in $ALLOWED_ROOTS; do case "$1" in "$_r"/?*) return 1 ;; esac; done
  WHY="not under $ALLOWED_ROOTS"
  return 0
}

# symlink_on PATH: succeeds (the symlink's host path in $LINK) when an existing component of
# $HOST$PATH is a symlink; fails when there is none (a missing component ends the walk).
symlink_on() {
  _c=$HOST
  _rest=${1#/}
  while [ -n "$_rest" ]; do
    _c="$_c/${_rest%%/*}"
    case "$_rest" in */*) _rest=${_rest#*/} ;; *) _rest="" ;; esac
    if [ -L "$_c" ]; then LINK=${_c#"$HOST"}; return 0; fi
    [ -e "$_c" ] || return 1
  done
  return 1
}

# host_ok PATH: the path rule and no symlink on it; logs why not (prefix $2).
host_ok() {
  if path_bad "$1"; then log "ERROR: ${2:-}$1: bad path: $WHY"; return 1; fi
  if symlink_on "$1"; then log "ERROR: ${2:-}$1: $LINK is a symlink; nothing is read, written or removed through one"; return 1; fi
  return 0
}

# mkdir_host DIR (host path): creates missing directories one by one (0755), recording each in
# $WORK/dirs.new so that cleanup can remove exactly what the writer created.
mkdir_host() {
  _c=""
  _rest=${1#/}
  while [ -n "$_rest" ]; do
    _c="$_c/${_rest%%/*}"
    case "$_rest" in */*) _rest=${_rest#*/} ;; *) _rest="" ;; esac
    [ -L "$HOST$_c" ] && { log "ERROR: $_c is a symlink; not creating anything through it"; return 1; }
    [ -d "$HOST$_c" ] && continue
    (umask 022 && mkdir "$HOST$_c") || return 1
    put "dir $_c" "$WORK/dirs.new" || return 120
  done
}

# put_host_file CONTENT TARGET MODE: TARGET (host path) gets CONTENT (scratch) with MODE (octal or
# "keep"). A temp file beside it, created 0600 (umask), is verified byte for byte against
# CONTENT and synced before the rename, so a full disk leaves the old file, never a truncated one.
put_host_file() {
  host_ok "$2" || return 1
  mkdir_host "${2%/*}" || return $?
  _t="$HOST$2"
  _tmp="${_t%/*}/.${_t##*/}.rt-tmp"
  _m=$3
  [ "$_m" = keep ] && { _m=$(stat -c %a "$_t" 2>/dev/null) || _m=644; }
  CUR_TMP=$_tmp
  rm -f "$_tmp"
  # sync FILE: fsync before the rename, so after a crash the path holds the old or the new
  # content, never an empty file (ext4 without auto_da_alloc, xfs).
  if cp "$1" "$_tmp" 2>/dev/null && cmp -s "$1" "$_tmp" && chmod "$_m" "$_tmp" && sync "$_tmp" && mv -f "$_tmp" "$_t"; then
    CUR_TMP=""
    return 0
  fi
  rm -f "$_tmp"
  CUR_TMP=""
  log "ERROR: could not write $2 (disk full or read-only?): the file is as it was"
  return 1
}

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
    if path_bad "${dest:-}"; then bad="bad path: $WHY"; else case "$dest" in "$anchor"/?*) ;; *) bad="bad path: not under its anchor $anchor" ;; esac; fi
    case "${apply:-}" in replace | static-pod | merge-yaml | containerd-config-path | token) ;; *) bad="bad apply mode" ;; esac
    [ -z "${extra:-}" ] || bad="extra fields"
    if [ -z "$bad" ] && [ "$apply" = token ]; then
      # The refresher's key: absent before its first token, or malformed; then the node keeps what it has.
      if token_ok "$SRC/$key"; then cp "$SRC/$key" "$WORK/src/$key" 2>/dev/null || bad="content $SRC/$key unreadable"; fi
    elif [ -z "$bad" ] && ! cp "$SRC/$key" "$WORK/src/$key" 2>/dev/null; then bad="content $SRC/$key unreadable"; fi
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

# Writes $WORK/down (one URL per line); returns 0 when it differs from the previous result, 1 when
# not, 2 when the scratch directory could not be written (nothing changes then).
down_list() { cat "$WORK"/probe.* 2>/dev/null | sed -n 's/^down //p' | sort; }
mirror_urls() { for f in "$WORK"/src/*; do sed -n 's/^#@mirror \([^ ]*\)$/\1/p' "$f"; done | sort -u; }
probe_mirrors() {
  out "$WORK/urls.new" mirror_urls || return 2
  rm -f "$WORK"/probe.*
  i=0
  while read -r u; do
    i=$((i + 1))
    (if probe "$u"; then echo "up $u"; else echo "down $u"; fi >"$WORK/probe.$i") &
  done <"$WORK/urls.new"
  wait
  # Every probe must have left its answer (a failed write is a full scratch, not a dead mirror).
  j=0
  while [ "$j" -lt "$i" ]; do
    j=$((j + 1))
    [ -s "$WORK/probe.$j" ] || { log "ERROR: cannot write $WORK/probe.$j (scratch full?): round aborted"; return 2; }
  done
  out "$WORK/down.new" down_list || return 2
  total=$(grep -c . "$WORK/urls.new")
  MIRRORS_TOTAL=$total
  ndown=$(grep -c . "$WORK/down.new")
  if [ "$total" -gt 0 ] && [ "$ndown" = "$total" ]; then
    [ -f "$WORK/all-down" ] || log "WARNING: every mirror failed its probe; keeping all of them listed (the probe may be what is broken)"
    : >"$WORK/all-down" && : >"$WORK/down.new" || return 2
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

# ---- certificate expiry: days left of the TLS certificates this node holds (issue 17) ----------
# CERT_FILES (writer.ts certExpiryEnv): space-separated "<name>=<host path>", e.g. node role
# "client=... ca=...", mirror role "server=... ca=...". The content this round delivers for that
# path is read (probe_tls_file), else the host's file. Pure awk (the writer image has no openssl):
# the PEM's base64 is decoded, the DER walked Certificate > TBSCertificate > [0] version, serial,
# signature, issuer > Validity { notBefore, notAfter } (RFC 5280 4.1), and notAfter read as
# UTCTime YYMMDDHHMMSSZ (YY < 50 is 20YY) or GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 4.1.2.5).
# $1 = PEM file, $2 = now (unix seconds). Prints whole days left (floor; negative once expired).
cert_days() {
  awk -v now="$2" '
    BEGIN { B = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"; n = 0; acc = 0; bits = 0
      # powers of two by table: busybox awk built without FEATURE_AWK_LIBM (Debian) has no ^
      pw[0] = 1; for (i = 1; i < 8; i++) pw[i] = pw[i - 1] * 2 }
    /^-----BEGIN CERTIFICATE-----/ { if (!done) inpem = 1; next }
    /^-----END CERTIFICATE-----/ { if (inpem) done = 1; inpem = 0; next }
    inpem {
      for (i = 1; i <= length($0); i++) {
        c = substr($0, i, 1); v = index(B, c) - 1
        if (v < 0) continue
        acc = acc * 64 + v; bits += 6
        if (bits >= 8) { bits -= 8; p = pw[bits]; b[n++] = int(acc / p); acc = acc % p }
      }
    }
    function hdr(pos,   l, k, j) { # sets T (tag), L (content length), H (header length); 0 if beyond the data
      if (pos + 1 >= n) return 0
      T = b[pos]; l = b[pos + 1]
      if (l < 128) { L = l; H = 2; return 1 }
      k = l - 128; if (k < 1 || k > 4 || pos + 1 + k >= n) return 0
      L = 0; for (j = 1; j <= k; j++) L = L * 256 + b[pos + 1 + j]
      H = 2 + k; return 1
    }
    function civil(y, m, d,   era, yoe, doy, doe) { # days since 1970-01-01 (H. Hinnant, days_from_civil)
      if (m <= 2) y--
      era = int((y >= 0 ? y : y - 399) / 400); yoe = y - era * 400
      doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
      doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
      return era * 146097 + doe - 719468
    }
    END {
      if (!done || n < 16) exit 1
      p = 0
      if (!hdr(p) || T != 48) exit 1; p += H                  # Certificate SEQUENCE
      if (!hdr(p) || T != 48) exit 1; p += H                  # TBSCertificate SEQUENCE
      if (!hdr(p)) exit 1
      if (T == 160) { p += H + L; if (!hdr(p)) exit 1 }       # [0] version
      if (T != 2) exit 1; p += H + L                          # serialNumber INTEGER
      if (!hdr(p) || T != 48) exit 1; p += H + L              # signature AlgorithmIdentifier
      if (!hdr(p) || T != 48) exit 1; p += H + L              # issuer Name
      if (!hdr(p) || T != 48) exit 1; p += H                  # Validity SEQUENCE
      if (!hdr(p) || (T != 23 && T != 24)) exit 1; p += H + L # notBefore
      if (!hdr(p) || (T != 23 && T != 24)) exit 1             # notAfter
      s = ""; for (j = 0; j < L; j++) s = s sprintf("%c", b[p + H + j])
      if (T == 23) { if (length(s) != 13 || s !~ /^[0-9]+Z$/) exit 1; y = substr(s, 1, 2) + 0; y += (y < 50 ? 2000 : 1900); r = substr(s, 3) }
      else { if (length(s) != 15 || s !~ /^[0-9]+Z$/) exit 1; y = substr(s, 1, 4) + 0; r = substr(s, 5) }
      t = civil(y, substr(r, 1, 2) + 0, substr(r, 3, 2) + 0) * 86400 + substr(r, 5, 2) * 3600 + substr(r, 7, 2) * 60 + substr(r, 9, 2)
      x = t - now; dd = int(x / 86400); if (x < 0 && dd * 86400 != x) dd--
      print dd
    }' "$1"
}

# Adds cert-<name>-days="<days>" per CERT_FILES entry to STATUS (and a warning under CERT_WARN_DAYS).
cert_status() {
  [ -n "${CERT_FILES:-}" ] || return 0
  t=$(date +%s)
  for pair in $CERT_FILES; do
    name=${pair%%=*}
    f=$(probe_tls_file "${pair#*=}")
    if days=$(cert_days "$f" "$t" 2>/dev/null) && [ -n "$days" ]; then
      status_add "cert-$name-days" "$days"
      if [ "$days" -lt "${CERT_WARN_DAYS:-21}" ]; then
        status_add "cert-$name-warning" "$days days left: run pulumi up for this stack (docs/certificates.md)"
        log "WARNING: the $name certificate ${pair#*=} has $days days left (< ${CERT_WARN_DAYS:-21}): run pulumi up for this stack (docs/certificates.md)"
      fi
    else
      status_add "cert-$name-days" "unreadable"
    fi
  done
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
note_changed() {
  case "$1" in
    /etc/containers/*) crio_changed=1 ;;
    /etc/rancher/*) k3s_changed="$k3s_changed $1" ;;
  esac
}

# One `key="value"` pair of the STATUS line (value without double quotes).
status_add() { STATUS_PARTS="$STATUS_PARTS $1=\"$(printf '%s' "$2" | tr -d '"\n')\""; }

# ---- mirror credentials that are tokens (docs/token-refresher.md) -----------------------------
# A token file (components/refresher/tokenFile.ts): username=, password=, issued=, expires= lines
# (epoch milliseconds). Only a whole, well-formed one is ever written to the node: an empty or
# half-written key never replaces the token the mirror has.
token_ok() { # $1 = file
  [ -f "$1" ] && [ -s "$1" ] || return 1
  awk -F= '
    /^username=./ { u++ } /^password=./ { p++ } /^issued=[0-9]+$/ { i++ } /^expires=[0-9]+$/ { e++ }
    !/^(username|password|issued|expires)=/ { bad = 1 }
    END { exit !(u == 1 && p == 1 && i == 1 && e == 1 && !bad) }' "$1" 2>/dev/null
}

# token-<upstream>="<seconds>s left" from the token on the host (the upstream is the file's directory).
token_status() { # $1 = dest
  ts_name=$(basename "$(dirname "$1")")
  if ! token_ok "$HOST$1"; then status_add "token-$ts_name" "missing: no token from the token refresher yet"; return 0; fi
  ts_exp=$(sed -n 's/^expires=//p' "$HOST$1")
  ts_left=$(( ts_exp / 1000 - $(date +%s) ))
  if [ "$ts_left" -gt 0 ]; then status_add "token-$ts_name" "${ts_left}s left"; else status_add "token-$ts_name" "expired $(( -ts_left ))s ago: check the token refresher (kubectl -n kube-system logs deploy/registry-topology-token-refresher)"; fi
}

# apply_line KEY MODE DEST APPLY: 0 done, 1 this file failed (others go on), 120 scratch full
# (the round is aborted).
apply_line() {
  key=$1 mode=$2 dest=$3 apply=$4
  target="$HOST$dest"
  host_ok "$dest" || return 1
  if [ "$apply" = token ]; then
    if [ ! -f "$WORK/src/$key" ]; then
      # Nothing usable from the refresher: the token on the node (if any) stays until it expires.
      token_status "$dest"
      return 0
    fi
    current_mode=$(stat -c %a "$target" 2>/dev/null || echo none)
    if ! { [ -f "$target" ] && cmp -s "$WORK/src/$key" "$target" && [ "$current_mode" = "${mode#0}" ]; }; then
      put_host_file "$WORK/src/$key" "$dest" "$mode" || return $?
      log "wrote $dest (a new token)"
    fi
    token_status "$dest"
    return 0
  fi
  out "$WORK/want" render "$WORK/src/$key" || return 120
  case "$apply" in
    replace | static-pod)
      current_mode=$(stat -c %a "$target" 2>/dev/null || echo none)
      if [ -f "$target" ] && cmp -s "$WORK/want" "$target" && [ "$current_mode" = "${mode#0}" ]; then return 0; fi
      put_host_file "$WORK/want" "$dest" "$mode" || return $?
      ;;
    merge-yaml)
      if [ -f "$target" ]; then out "$WORK/base" strip_blocks "$target" || return 120; else : >"$WORK/base" || return 120; fi
      out "$WORK/merged" merge_yaml "$WORK/base" "$WORK/want" 2>"$WORK/why"
      case $? in
        0) ;;
        120) return 120 ;;
        *)
          # A state of the node, not a failure of this run: reported, file untouched, no retry storm.
          status_add "$dest" "inactive: $(tr '\n' ' ' <"$WORK/why" | sed 's/ $//')"
          log "NOTICE: not merging into $dest: $(cat "$WORK/why")"
          return 0
          ;;
      esac
      # Verified: the merged file minus our blocks is exactly the operator's part.
      out "$WORK/check" strip_blocks "$WORK/merged" || return 120
      cmp -s "$WORK/check" "$WORK/base" || { log "ERROR: merging into $dest would change the operator's part: not written"; return 1; }
      status_add "$dest" "merged"
      if [ -f "$target" ] && cmp -s "$WORK/merged" "$target"; then return 0; fi
      if [ -f "$target" ]; then put_host_file "$WORK/merged" "$dest" keep || return $?; else put_host_file "$WORK/merged" "$dest" "$mode" || return $?; fi
      ;;
    containerd-config-path)
      dir=$(sed -n 's/^[ \t]*config_path[ \t]*=[ \t]*"\([^"]*\)".*/\1/p' "$WORK/want" | head -n 1)
      [ -n "$dir" ] || { log "ERROR: the content for $dest (manifest key $key) names no config_path"; return 1; }
      out "$WORK/ctrd" ctrd_activate "$target" "$dir" 2>"$WORK/why"
      case $? in
        0) ;;
        120) return 120 ;;
        *)
          status_add containerd "inactive: $(tr '\n' ' ' <"$WORK/why" | sed 's/ $//')"
          log "NOTICE: hosts.toml is not active: $(cat "$WORK/why")"
          return 0
          ;;
      esac
      # Verified: the new file minus our lines is the node's own file (unless that is blank).
      if [ -f "$target" ]; then
        out "$WORK/check" ctrd_strip "$WORK/ctrd" || return 120
        out "$WORK/base" ctrd_strip "$target" || return 120
        if grep -q '[^[:space:]]' "$WORK/base" && ! cmp -s "$WORK/check" "$WORK/base"; then log "ERROR: the config_path line for $dest would change the node's own lines: not written"; return 1; fi
      fi
      grep -q "config_path = \"$dir\"" "$WORK/ctrd" || { log "ERROR: no config_path line in what would be written to $dest: not written"; return 1; }
      if ! { [ -f "$target" ] && cmp -s "$WORK/ctrd" "$target"; }; then
        if [ -f "$target" ]; then put_host_file "$WORK/ctrd" "$dest" keep || return $?; else put_host_file "$WORK/ctrd" "$dest" "$mode" || return $?; fi
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

# unmanage APPLY PATH [created]: restore what we managed before and no longer do. 0 done (or
# nothing to do), 1 failed (the entry stays in the state and is retried), 120 scratch full.
unmanage() {
  target="$HOST$2"
  host_ok "$2" "state entry " || return 1
  [ -e "$target" ] || return 0
  case "$1" in
    merge-yaml | containerd-config-path)
      if [ "$1" = merge-yaml ]; then out "$WORK/rest" strip_blocks "$target" || return 120; else out "$WORK/rest" ctrd_strip "$target" || return 120; fi
      if [ "${3:-}" = created ] && ! grep -q '[^[:space:]]' "$WORK/rest"; then
        rm -f "$target" && [ ! -e "$target" ] || { log "ERROR: could not remove $2"; return 1; }
        log "removed $2 (we created it; nothing else in it)"
      elif ! cmp -s "$WORK/rest" "$target"; then
        put_host_file "$WORK/rest" "$2" keep || return $?
        log "removed our entries from $2; the rest is as it was"
      fi
      ;;
    *)
      if [ "${3:-}" = saved ]; then
        _b=$(saved_path "$2")
        if [ -f "$HOST$_b" ] && [ ! -L "$HOST$_b" ]; then
          put_host_file "$HOST$_b" "$2" "$(stat -c %a "$HOST$_b")" || return $?
          rm -f "$HOST$_b" || log "ERROR: could not remove the saved copy $_b"
          log "put back the node's own $2 (no longer managed)"
          note_changed "$2"
          return 0
        fi
        log "NOTICE: the saved copy of $2 is gone; removing ours"
      fi
      rm -f "$target" 2>/dev/null && [ ! -e "$target" ] || { log "ERROR: could not remove $2 (read-only?): kept in the state, retried next round"; return 1; }
      log "removed $2 (no longer managed)"
      ;;
  esac
  note_changed "$2"
}

dirs_deepest_first() { awk '$1 == "dir" { n = gsub("/", "/", $2); print n, $2 }' "$1" | sort -u | sort -rn -k1,1; }

# Directories we created ("dir <path>" entries of $1): kept while a managed file or the state file
# lies under them, else removed when empty (deepest first); one that holds files we do not manage
# is left and forgotten. Kept entries go to $2.
unmanage_dirs() {
  out "$WORK/dirs.sorted" dirs_deepest_first "$1" || return 120
  : >"$2" || return 120
  while read -r _d p; do
    [ -n "${p:-}" ] || continue
    if awk -v p="$p/" '$1 != "dir" && index($2, p) == 1 { f = 1 } END { exit !f }' "$WORK/state.final"; then put "dir $p" "$2" || return 120; continue; fi
    # Those of the state file and the saved originals: in cleanup mode finish_state removes them last.
    own_dir "$p" && { put "dir $p" "$2" || return 120; continue; }
    path_bad "$p" && { log "ERROR: state entry dir $p: bad path: $WHY; ignored"; errors=$((errors + 1)); continue; }
    if symlink_on "$p"; then log "ERROR: state entry dir $p: $LINK is a symlink; not removing through it"; errors=$((errors + 1)); put "dir $p" "$2" || return 120; continue; fi
    [ -d "$HOST$p" ] || continue
    if [ -n "$(ls -A "$HOST$p" 2>/dev/null)" ]; then
      log "NOTICE: leaving directory $p: it holds files this writer does not manage"
    elif rmdir "$HOST$p" 2>/dev/null; then
      log "removed directory $p (we created it)"
    else
      log "ERROR: could not remove directory $p (read-only?): kept in the state, retried next round"
      errors=$((errors + 1))
      put "dir $p" "$2" || return 120
    fi
  done <"$WORK/dirs.sorted"
}

# The state file, checked: entries with a bad path are dropped (an error), the rest go to
# $WORK/state.old as "<apply> <path> [created]" / "dir <path>".
read_state() {
  : >"$WORK/state.old" || return 120
  [ -e "$HOST$STATE" ] || return 0
  host_ok "$STATE" "state file " || return 1
  out "$WORK/state.raw" cat "$HOST$STATE" || return 120
  while read -r a p c; do
    [ -n "${a:-}" ] || continue
    [ -n "${p:-}" ] || { p=$a; a=replace; } # a bare "<path>" from older writers means replace
    case "$a" in replace | static-pod | merge-yaml | containerd-config-path | token | dir) ;; *) log "ERROR: state entry $a $p: unknown kind; ignored"; errors=$((errors + 1)); continue ;; esac
    if path_bad "$p"; then log "ERROR: state entry $p: bad path: $WHY; ignored"; errors=$((errors + 1)); continue; fi
    put "$a $p${c:+ $c}" "$WORK/state.old" || return 120
  done <"$WORK/state.raw"
}

saved_path() { echo "$SAVED_DIR/$(printf '%s' "$1" | sha256sum | cut -c1-64)"; }

# save_original PATH: a copy (content and mode) of the node's own file at PATH, synced, under
# $SAVED_DIR; the state marks PATH "saved".
save_original() {
  _b=$(saved_path "$1")
  host_ok "$_b" || return 1
  mkdir_host "$SAVED_DIR" || return $?
  if cp -p "$HOST$1" "$HOST$_b.tmp" && cmp -s "$HOST$1" "$HOST$_b.tmp" && sync "$HOST$_b.tmp" && mv -f "$HOST$_b.tmp" "$HOST$_b"; then
    log "saved the node's own $1 (put back when no longer managed)"
    return 0
  fi
  rm -f "$HOST$_b.tmp"
  log "ERROR: could not save the node's own $1 before replacing it: not replacing it"
  return 1
}

# own_dir DIR: DIR holds the state file or the saved originals (kept until cleanup ends).
own_dir() { case "$STATE/" in "$1"/*) return 0 ;; esac; case "$SAVED_DIR/" in "$1"/*) return 0 ;; esac; return 1; }

# This round's entries: "<key> <mode> <path> <apply> [created]" per manifest line whose anchor
# exists ("created": we made the operator-owned file, so we may remove it again).
plan_round() {
  : >"$WORK/plan" || return 120
  PLANNED=0
  [ "$WORKING_MODE" = cleanup ] && return 0
  while read -r key mode anchor dest apply; do
    [ -n "${key:-}" ] || continue
    [ -d "$HOST$anchor" ] && [ ! -L "$HOST$anchor" ] || continue
    created=$(awk -v p="$dest" '$2 == p && ($3 == "created" || $3 == "saved") { print $3 }' "$WORK/state.old")
    case "$apply" in
      merge-yaml | containerd-config-path) [ -e "$HOST$dest" ] || created=created ;;
      *)
        # The node's own file at a path we are about to manage: saved first, put back when we leave.
        if ! awk -v p="$dest" '$2 == p { f = 1 } END { exit !f }' "$WORK/state.old" && [ -f "$HOST$dest" ] && host_ok "$dest"; then
          save_original "$dest" || return $?
          created=saved
        fi
        ;;
    esac
    put "$key $mode $dest $apply${created:+ $created}" "$WORK/plan" || return 120
    PLANNED=$((PLANNED + 1))
  done <"$WORK/src/manifest"
}

# Write the state to the host ($1 = scratch file of entries).
save_state() {
  if ! put_host_file "$1" "$STATE" 0644; then log "ERROR: could not save the state file $STATE"; return 1; fi
}

ahead_entries() { awk '{ print $4, $3, $5 }' "$WORK/plan" | sed 's/ $//'; cat "$WORK/state.old" "$WORK/dirs.new"; }

# A round that stopped before touching the host: counted, reported, nothing removed.
round_failed() {
  errors=$((errors + 1))
  status_add errors "$errors"
  [ "$WORKING_MODE" = cleanup ] && status_add cleanup "pending: the round stopped early (see the ERROR above)"
  rm -f "$CLEAN_MARKER"
}

# $1 = sync | cleanup. Returns the number of errors (0: everything applied / restored).
round() {
  WORKING_MODE=$1
  STATUS_PARTS=""
  errors=0
  crio_changed=0
  k3s_changed=""
  aborted=0
  : >"$WORK/dirs.new" || { round_failed; return 1; }
  read_state || { round_failed; return 1; }
  plan_round || { round_failed; return 1; }
  # Nothing is removed when this round does not know every file the manifest lists.
  if [ "$(grep -c . "$WORK/plan")" != "$PLANNED" ]; then log "ERROR: the round's plan is incomplete (scratch full?): round aborted"; round_failed; return 1; fi
  # Write-ahead: the state holds every file this round may touch before it touches any.
  if [ "$WORKING_MODE" = sync ]; then
    mkdir_host "${STATE%/*}" || { round_failed; return 1; }
    out "$WORK/state.ahead" ahead_entries || { round_failed; return 1; }
    out "$WORK/state.ahead2" awk '!seen[$2]++' "$WORK/state.ahead" || { round_failed; return 1; }
    if ! cmp -s "$WORK/state.ahead2" "$HOST$STATE" 2>/dev/null; then save_state "$WORK/state.ahead2" || { round_failed; return 1; }; fi
  fi
  : >"$WORK/state.final" || { round_failed; return 1; }
  for pass in files static-pods; do
    while read -r key mode dest apply created; do
      if [ "$apply" = static-pod ]; then [ "$pass" = static-pods ] || continue; else [ "$pass" = files ] || continue; fi
      if [ "$pass" = static-pods ] && [ "$errors" -gt 0 ]; then
        log "ERROR: not writing static pod $dest: a file it may depend on failed above"
      else
        apply_line "$key" "$mode" "$dest" "$apply" </dev/null
        case $? in
          0) ;;
          120) aborted=1; errors=$((errors + 1)); break 2 ;;
          *) log "ERROR: could not apply $dest"; errors=$((errors + 1)) ;;
        esac
      fi
      put "$apply $dest${created:+ $created}" "$WORK/state.final" || { aborted=1; errors=$((errors + 1)); break 2; }
    done <"$WORK/plan"
  done
  if [ "$aborted" = 1 ]; then
    log "ERROR: round aborted before removing anything: the state on the host still lists every file"
    round_failed
    return "$errors"
  fi
  # Removals: static pods first (their mirrors stop before their configs go), then the rest.
  for pass in static-pods files; do
    while read -r a p c; do
      [ "$a" = dir ] && continue
      if [ "$a" = static-pod ]; then [ "$pass" = static-pods ] || continue; else [ "$pass" = files ] || continue; fi
      awk -v p="$p" '$2 == p { f = 1 } END { exit !f }' "$WORK/state.final" && continue
      unmanage "$a" "$p" "${c:-}" </dev/null
      case $? in
        0) ;;
        120) aborted=1; break 2 ;;
        *) errors=$((errors + 1)); put "$a $p${c:+ $c}" "$WORK/state.final" || { aborted=1; break 2; } ;;
      esac
    done <"$WORK/state.old"
  done
  if [ "$aborted" = 0 ]; then
    out "$WORK/dirs.all" cat "$WORK/state.old" "$WORK/dirs.new" || aborted=1
  fi
  if [ "$aborted" = 0 ] && [ "$WORKING_MODE" = cleanup ]; then
    purge_mirror_caches || aborted=1
  fi
  if [ "$aborted" = 0 ]; then
    unmanage_dirs "$WORK/dirs.all" "$WORK/dirs.keep" || aborted=1
  fi
  if [ "$aborted" = 1 ]; then
    log "ERROR: round aborted (scratch full?): the state on the host still lists every file"
    round_failed
    return "$errors"
  fi
  finish_state
  after_round
  [ "$errors" = 0 ] || status_add errors "$errors"
  return "$errors"
}

# The state after the round: entries kept + directories kept. In cleanup mode an empty state
# removes the state file and then its directories, if we created them.
finish_state() {
  if ! out "$WORK/state.new" cat "$WORK/state.final" "$WORK/dirs.keep"; then errors=$((errors + 1)); return; fi
  if [ "$WORKING_MODE" = cleanup ] && [ "$errors" = 0 ] && [ "$PENDING" = 0 ] && ! awk '$1 != "dir" { f = 1 } END { exit !f }' "$WORK/state.new"; then
    if [ -e "$HOST$STATE" ]; then
      rm -f "$HOST$STATE" 2>/dev/null && [ ! -e "$HOST$STATE" ] || { log "ERROR: could not remove the state file $STATE"; errors=$((errors + 1)); return; }
      log "removed the state file $STATE: nothing of ours is left on this node"
    fi
    sed -n 's/^dir //p' "$WORK/state.new" | awk '{ print length($0), $0 }' | sort -rn | while read -r _n d; do
      path_bad "$d" && continue
      symlink_on "$d" && continue
      [ -d "$HOST$d" ] && [ -z "$(ls -A "$HOST$d" 2>/dev/null)" ] && rmdir "$HOST$d" 2>/dev/null && log "removed directory $d (we created it)"
    done
    return
  fi
  if ! cmp -s "$WORK/state.new" "$HOST$STATE" 2>/dev/null; then save_state "$WORK/state.new" || errors=$((errors + 1)); fi
}

# Cleanup on mirror nodes: the caches of the mirror pods (hostPath DirectoryOrCreate, made by the
# kubelet under $MIRROR_STATUS_DIR) go once their pods stopped: the static pod manifests are gone
# and the supervisor's status file has not changed for $MIRROR_STOPPED_AFTER seconds.
PENDING=0
purge_mirror_caches() {
  PENDING=0
  [ -n "${MIRROR_STATUS_DIR:-}" ] || return 0
  host_ok "$MIRROR_STATUS_DIR" "mirror status dir " || { errors=$((errors + 1)); return 0; }
  d="$HOST$MIRROR_STATUS_DIR"
  [ -d "$d" ] || return 0
  now=$(date +%s)
  for c in "$d"/* "$d"/.[!.]*; do
    [ -e "$c" ] || [ -L "$c" ] || continue
    if [ -d "$c" ] && [ ! -L "$c" ]; then
      changed=$(stat -c %Y "$c/registry-topology-status" 2>/dev/null || echo 0)
      if [ $((now - changed)) -lt "$MIRROR_STOPPED_AFTER" ]; then
        PENDING=$((PENDING + 1))
        log "cleanup: mirror cache $(basename "$c") still in use (its status changed ${MIRROR_STOPPED_AFTER}s ago or less); waiting"
        continue
      fi
    fi
    # rm -r does not follow symlinks inside the tree; a symlink here is removed, not followed.
    rm -rf "$c" 2>/dev/null && [ ! -e "$c" ] && [ ! -L "$c" ] || { log "ERROR: could not remove the mirror cache $c"; errors=$((errors + 1)); continue; }
    log "cleanup: removed the mirror cache ${c#"$HOST"}"
  done
  if [ "$PENDING" = 0 ] && [ -z "$(ls -A "$d" 2>/dev/null)" ]; then
    # Only once empty; it is then removed with the directories we created, or here if the kubelet made it.
    rmdir "$d" 2>/dev/null && log "cleanup: removed $MIRROR_STATUS_DIR"
  fi
  return 0
}

# Mirror status lines (supervisor.sh write_status; mirrorStatus.ts): known keys with their value
# shapes; keys added later must be lower-case words with plain values. Anything else is refused.
mirror_status_ok() {
  [ "${#1}" -le 512 ] || return 1
  _mo="" _up=""
  set -f
  # shellcheck disable=SC2086
  set -- $1
  set +f
  [ "$#" -gt 0 ] || return 1
  for _t; do
    case "$_t" in
      mode=proxy | mode=readonly) _mo=1 ;;
      upstream=up | upstream=down | upstream=unknown) _up=1 ;;
      cache_kib=* | max_kib=* | evictions=* | updated=*)
        case "${_t#*=}" in -1) ;; "" | *[!0-9]*) return 1 ;; esac ;;
      [a-z]*=*)
        case "${_t%%=*}" in *[!a-z0-9_]*) return 1 ;; esac
        case "${_t#*=}" in *[!A-Za-z0-9._:-]*) return 1 ;; esac ;;
      *) return 1 ;;
    esac
  done
  [ -n "$_mo" ] && [ -n "$_up" ]
}

# Mirror nodes: each mirror's own status line, read without following a symlink (a mirror
# container owns its cache directory and could plant one) and checked against its grammar.
status_mirrors() {
  [ -n "${MIRROR_STATUS_DIR:-}" ] || return 0
  symlink_on "$MIRROR_STATUS_DIR" && { status_add mirrors "unreadable: $MIRROR_STATUS_DIR has a symlink on its path"; return 0; }
  for c in "$HOST$MIRROR_STATUS_DIR"/*; do
    [ -e "$c" ] || [ -L "$c" ] || continue
    name=$(basename "$c")
    case "$name" in *[!a-z0-9-]*) continue ;; esac
    f="$c/registry-topology-status"
    if [ -L "$c" ] || [ ! -d "$c" ]; then status_add "mirror-$name" "unreadable: not a directory"; continue; fi
    [ -e "$f" ] || [ -L "$f" ] || continue
    if [ -L "$f" ] || [ ! -f "$f" ]; then status_add "mirror-$name" "unreadable: not a regular file"; continue; fi
    line=$(head -c 512 "$f" 2>/dev/null | head -n 1)
    mirror_status_ok "$line" || line="unreadable: not a status line"
    status_add "mirror-$name" "$line"
  done
}

# Reloads and the STATUS parts of a finished round.
after_round() {
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
  if [ "$WORKING_MODE" = cleanup ]; then
    if [ "$errors" = 0 ] && [ "$PENDING" = 0 ] && [ ! -e "$HOST$STATE" ]; then
      status_add cleanup "clean"
      : >"$CLEAN_MARKER" 2>/dev/null || log "ERROR: cannot write $CLEAN_MARKER (the pod's readiness)"
    else
      status_add cleanup "pending: $(grep -c . "$WORK/state.new" 2>/dev/null || echo '?') state entries, $PENDING mirror caches in use, $errors errors"
      rm -f "$CLEAN_MARKER"
    fi
    return
  fi
  [ -d "$HOST/etc/containers" ] && grep -q 'containers/' "$WORK/state.final" && status_add crio "active (drop-in written)"
  status_mirrors
  status_add mirrors-probed "${MIRRORS_TOTAL:-0}"
  status_add mirrors-left-out "$(tr '\n' ' ' <"$WORK/down" | sed 's/ $//')"
  cert_status
}

# Callers load the sources first (load_sources): one copy of the manifest and contents per round.
sync_once() { round sync; }
cleanup_once() { rm -f "$CLEAN_MARKER"; round cleanup; }

# ---- metrics for node-exporter's textfile collector (docs/observability.md) -------------------
# With METRICS_TEXTFILE_DIR set (the host's textfile-collector directory, mounted), each pass
# writes registry-topology-<region>-<role>.prom there when its content changed: written to a
# dot-file in the same directory, then renamed, so the collector (which reads only *.prom) never
# sees half a file. A file, not a listener: the writer opens no port, and mirrors stay reachable
# by node certificates only. Labels: node, region, role (+ mirror URL or upstream name).
load_sources_tracked() {
  if load_sources; then SOURCES_OK=1; else SOURCES_OK=0; return 1; fi
}

metrics_text() {
  l="node=\"$(printf '%s' "$NODE" | tr -d '"\\')\",region=\"${REGION_NAME:-}\",role=\"${WRITER_ROLE:-}\""
  printf '# HELP registry_topology_writer_manifest_ok 1 when the writer read its manifest and every file it names.\n# TYPE registry_topology_writer_manifest_ok gauge\n'
  echo "registry_topology_writer_manifest_ok{$l} ${SOURCES_OK:-0}"
  printf '# HELP registry_topology_writer_sync_errors Files the last sync could not apply.\n# TYPE registry_topology_writer_sync_errors gauge\n'
  echo "registry_topology_writer_sync_errors{$l} ${errors:-0}"
  t=$(stat -c %Y "$HOST$STATE" 2>/dev/null) && {
    printf '# HELP registry_topology_writer_last_sync_timestamp_seconds When the writer last synced this node (its state file), unix seconds.\n# TYPE registry_topology_writer_last_sync_timestamp_seconds gauge\n'
    echo "registry_topology_writer_last_sync_timestamp_seconds{$l} $t"
  }
  if [ -s "$WORK/urls.new" ]; then
    all=0
    [ -f "$WORK/all-down" ] && all=1
    printf '# HELP registry_topology_node_mirror_probe_ok 1 when the mirror answered the probe (GET /v2/ below 500 with the node certificate).\n# TYPE registry_topology_node_mirror_probe_ok gauge\n'
    while read -r u; do
      ok=1
      { [ "$all" = 1 ] || grep -qxF "$u" "$WORK/down" 2>/dev/null; } && ok=0
      echo "registry_topology_node_mirror_probe_ok{$l,mirror=\"$u\"} $ok"
    done <"$WORK/urls.new"
    printf '# HELP registry_topology_node_mirror_listed 1 when the mirror is listed in the node runtime config, 0 when left out for failing its probe.\n# TYPE registry_topology_node_mirror_listed gauge\n'
    while read -r u; do
      ok=1
      grep -qxF "$u" "$WORK/down" 2>/dev/null && ok=0
      echo "registry_topology_node_mirror_listed{$l,mirror=\"$u\"} $ok"
    done <"$WORK/urls.new"
    printf '# HELP registry_topology_node_mirrors_all_failed 1 when every mirror failed its probe (all are then kept listed).\n# TYPE registry_topology_node_mirrors_all_failed gauge\n'
    echo "registry_topology_node_mirrors_all_failed{$l} $all"
  fi
  # Token mirrors: when the token on this node was minted and when it ends (absent: present 0).
  if [ -f "$WORK/src/manifest" ] && awk '$5 == "token" { f = 1 } END { exit !f }' "$WORK/src/manifest"; then
    printf '# HELP registry_topology_mirror_token_present 1 when the mirror node holds a well-formed token from the token refresher.\n# TYPE registry_topology_mirror_token_present gauge\n'
    awk '$5 == "token" { print $4 }' "$WORK/src/manifest" >"$WORK/token-paths"
    while read -r tp; do
      ok=0
      token_ok "$HOST$tp" && ok=1
      echo "registry_topology_mirror_token_present{$l,upstream=\"$(basename "$(dirname "$tp")")\"} $ok"
    done <"$WORK/token-paths"
    for tm in issued expiry; do
      printf '# HELP registry_topology_mirror_token_%s_timestamp_seconds When the token the mirror node holds %s, unix seconds.\n# TYPE registry_topology_mirror_token_%s_timestamp_seconds gauge\n' "$tm" "$([ "$tm" = issued ] && echo 'was minted' || echo expires)" "$tm"
      while read -r tp; do
        token_ok "$HOST$tp" || continue
        v=$(sed -n "s/^$([ "$tm" = issued ] && echo issued || echo expires)=//p" "$HOST$tp")
        echo "registry_topology_mirror_token_${tm}_timestamp_seconds{$l,upstream=\"$(basename "$(dirname "$tp")")\"} $((v / 1000))"
      done <"$WORK/token-paths"
    done
  fi
  [ -n "${MIRROR_STATUS_DIR:-}" ] || return 0
  for f in "$HOST$MIRROR_STATUS_DIR"/*/registry-topology-status; do
    [ -f "$f" ] || continue
    head -n 1 "$f" | awk -v l="$l" -v up="$(basename "$(dirname "$f")")" '
      { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
      END {
        if (v["mode"] != "proxy" && v["mode"] != "readonly") exit
        s = l ",upstream=\"" up "\""
        print "registry_topology_mirror_read_only{" s "} " (v["mode"] == "readonly" ? 1 : 0)
        if (v["upstream"] == "up" || v["upstream"] == "down") print "registry_topology_mirror_upstream_up{" s "} " (v["upstream"] == "up" ? 1 : 0)
        # %.0f: awk prints large numbers as 2.14748e+10 otherwise (6 significant digits).
        if (v["cache_kib"] ~ /^[0-9]+$/) printf "registry_topology_mirror_cache_bytes{%s} %.0f\n", s, v["cache_kib"] * 1024
        if (v["max_kib"] ~ /^[1-9][0-9]*$/) printf "registry_topology_mirror_cache_max_bytes{%s} %.0f\n", s, v["max_kib"] * 1024
        if (v["evictions"] ~ /^[0-9]+$/) print "registry_topology_mirror_evictions_total{" s "} " v["evictions"]
        if (v["updated"] ~ /^[0-9]+$/) print "registry_topology_mirror_status_timestamp_seconds{" s "} " v["updated"]
      }'
  done >"$WORK/mirror-metrics"
  # One HELP/TYPE per family, then its samples (the exposition format wants a family's lines together).
  for m in read_only:gauge:'1 when the mirror serves read-only from its cache (its upstream is down).' \
    upstream_up:gauge:'1 when the mirror'"'"'s upstream answers, 0 when it does not (absent: unknown yet).' \
    cache_bytes:gauge:'Size of the mirror'"'"'s cache, bytes.' cache_max_bytes:gauge:'Bound of the mirror'"'"'s cache, bytes.' \
    evictions_total:counter:'Times the size bound emptied the cache since the mirror started.' \
    status_timestamp_seconds:gauge:'When the mirror'"'"'s supervisor last wrote its status, unix seconds.'; do
    n=registry_topology_mirror_${m%%:*}
    grep -q "^$n{" "$WORK/mirror-metrics" || continue
    rest=${m#*:}
    printf '# HELP %s %s\n# TYPE %s %s\n' "$n" "${rest#*:}" "$n" "${rest%%:*}"
    grep "^$n{" "$WORK/mirror-metrics"
  done
}

write_metrics() {
  [ -n "${METRICS_TEXTFILE_DIR:-}" ] || return 0
  dst="$METRICS_TEXTFILE_DIR/registry-topology-${REGION_NAME:-region}-${WRITER_ROLE:-node}.prom"
  metrics_text >"$WORK/metrics.prom" 2>/dev/null || return 0
  cmp -s "$WORK/metrics.prom" "$dst" 2>/dev/null && return 0
  if ! { cp "$WORK/metrics.prom" "$dst.tmp-$$" && mv -f "$dst.tmp-$$" "$dst"; } 2>/dev/null; then
    rm -f "$dst.tmp-$$"
    [ -n "${METRICS_WARNED:-}" ] || log "WARNING: cannot write metrics to $METRICS_TEXTFILE_DIR (mounted? writable?)"
    METRICS_WARNED=1
  fi
}

report_status() {
  line="STATUS node=$NODE$STATUS_PARTS"
  if [ "${1:-}" = always ] || [ "$line" != "${LAST_STATUS:-}" ]; then log "$line"; fi
  LAST_STATUS=$line
}

case "$WRITER_MODE" in sync | cleanup) ;; *) log "ERROR: WRITER_MODE=$WRITER_MODE (sync or cleanup)"; exit 2 ;; esac

if [ "$WRITER_MODE" = cleanup ]; then
  # Destroy: restore every file in the state; the manifest is not needed (and may be gone).
  log "node file writer on $NODE in cleanup mode: restoring every file it manages"
  while true; do
    cleanup_once
    rc=$?
    if [ "${RUN_ONCE:-0}" = 1 ]; then report_status always; exit "$rc"; fi
    report_status
    sleep "$HEALTH_INTERVAL" &
    wait $! || true
  done
fi

if [ "${RUN_ONCE:-0}" = 1 ]; then
  if load_sources_tracked; then
    probe_mirrors
    pr=$?
    if [ "$pr" = 2 ]; then STATUS_PARTS=""; status_add errors 1; rc=1; else sync_once; rc=$?; fi
  else
    STATUS_PARTS=""
    rc=1
  fi
  report_status always
  write_metrics
  exit "$rc"
fi
log "node file writer started on $NODE: full sync every ${INTERVAL}s, mirror probes every ${HEALTH_INTERVAL}s"
last_full=0
while true; do
  now=$(date +%s)
  if load_sources_tracked; then
    changed=0
    probe_mirrors
    case $? in 0) changed=1 ;; 2) changed=2 ;; esac
    due=0
    [ $((now - last_full)) -ge "$INTERVAL" ] && due=1
    if [ "$changed" = 2 ]; then
      STATUS_PARTS=""
      status_add errors "scratch full: round skipped, retrying"
      report_status
    elif [ "$changed" = 1 ] || [ "$due" = 1 ]; then
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
  write_metrics
  # In the background and waited for: a TERM then ends the writer at once (a foreground sleep
  # would hold the trap until it returns, racing the pod's grace period).
  sleep "$HEALTH_INTERVAL" &
  wait $! || true
done
