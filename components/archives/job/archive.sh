#!/bin/sh
# registry-topology archive job: one point-in-time snapshot of every tag of Harbor's replicated
# projects, stored content-addressed in object storage. The CronJob runs this file unchanged (from
# a ConfigMap), one phase per container; test/archive-e2e.test.ts and bench/archive.ts run it too.
#
#   archive.sh state     (rclone image)  newest complete snapshot not dated in the future ->
#                                        $WORK/previous.tsv; the store's blob listing -> $WORK/stored.tsv
#   archive.sh collect   (skopeo image)  list Harbor, copy new digests (and digests the previous
#                                        snapshot names but the store lacks) -> $WORK/layout, refs.tsv
#   archive.sh upload    (rclone image)  new blobs; stored names this run needs read back and hashed
#                                        (a mismatch replaced, or the run fails); then the snapshot files
#   archive.sh all       the three in order (tests, or one image holding skopeo and rclone)
#
# Store layout under $STORE (an rclone path, remote from RCLONE_CONFIG_STORE_* variables):
#   oci-layout                       {"imageLayoutVersion":"1.0.0"}
#   blobs/sha256/<hex>               every manifest, index, config and layer, byte for byte
#   snapshots/<UTC stamp>/refs.tsv   <repo:tag> TAB <digest> TAB <mediaType> TAB <size>
#   snapshots/<UTC stamp>/index.json OCI image index; ref.name annotation = <repo:tag>; written
#                                    last, so a snapshot with index.json is complete
# `oci-layout` + `blobs/` + one snapshot's index.json (saved as index.json) is an OCI image layout:
#   skopeo copy --all --preserve-digests oci:<dir>:<repo:tag> docker://<registry>/<repo:tag>
# (OCI image-layout spec v1.0: oci-layout, index.json, blobs/<alg>/<hex>.)
#
# Why the `dir:` transport for the copy and not `oci:`: containers/image's oci destination accepts
# only OCI manifests (oci/layout/oci_dest.go, SupportedManifestMIMETypes), so a Docker schema 2
# image would be converted and change digest. `dir:` stores manifests byte for byte
# (directory/directory_dest.go: manifest.json, <hex>.manifest.json per instance, <hex> per blob);
# this script files them under blobs/sha256/. The oci source reads any manifest type back
# (oci/layout/oci_src.go GetManifest uses the descriptor's mediaType).
#
# Environment:
#   WORK              scratch directory shared by the phases (an emptyDir in the CronJob)
#   STORE             rclone path of the archive, e.g. store:registry-archive or store:bucket/prefix
#   HARBOR_URL        Harbor API base URL, e.g. https://harbor.example.com
#   REGISTRY          registry host[:port] for skopeo (default: the host of HARBOR_URL)
#   HARBOR_USERNAME   the archive robot (robot$...), HARBOR_PASSWORD its secret
#   PROJECTS          space-separated Harbor projects to archive
#   TLS_VERIFY        true (default) | false
#   TMPDIR            scratch for skopeo's big blobs (the CronJob points it into the emptyDir)
# Needs: sh, sed, grep, sort, cut, tr, sha256sum, wc, base64, curl, skopeo (collect); date, find,
# rclone (state, upload). No comm or awk (busybox builds may lack them); test/archive-tamper.test.ts
# runs it under busybox sh and applets, test/archive-e2e.test.ts under the system sh.
set -eu

phase=${1:-all}
: "${WORK:?set WORK}"
mkdir -p "$WORK"
# skopeo stages big blobs in $TMPDIR (containers/image, default /var/tmp: read-only in the pod).
if [ -n "${TMPDIR:-}" ]; then mkdir -p "$TMPDIR"; fi
MAX_PAGES=1000
# Repositories per listing page (Harbor's maximum is 100); the tests page with 1.
PAGE_SIZE=${HARBOR_PAGE_SIZE:-100}

log() { printf 'archive: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Paths of complete snapshots (<stamp>/index.json), oldest first.
list_snapshots() {
  out=$(rclone lsf -R --files-only --include '/*/index.json' "$STORE/snapshots" 2>"$WORK/lsf.err") || {
    # Before the first run the prefix does not exist: rclone says "directory not found"
    # (fs.ErrorDirNotFound). Anything else (a missing bucket, 403, network) is an error.
    grep -q -i 'directory not found' "$WORK/lsf.err" || { cat "$WORK/lsf.err" >&2; return 1; }
    out=""
  }
  printf '%s\n' "$out" | grep -E '^[0-9]{8}T[0-9]{6}Z/index\.json$' | sort || true
}

# Seconds a snapshot name may be ahead of this clock. A later name was not written by this job
# (its names are the time it read Harbor): planted, or a clock is badly wrong. Never used.
SKEW=${SNAPSHOT_SKEW_SECONDS:-600}

# 20261130T021700Z -> 20261130021700 (a number: compared with -gt, no locale involved).
stamp_number() { printf '%s' "$1" | tr -d 'TZ'; }

phase_state() {
  : "${STORE:?set STORE}"
  # Through a file: in a pipeline inside $(...) a failed listing would be lost (tail's status).
  list_snapshots >"$WORK/snapshots.txt" || die "cannot list the snapshots in $STORE/snapshots"
  limit=$(stamp_number "$(date -u -d "@$(($(date +%s) + SKEW))" +%Y%m%dT%H%M%SZ)")
  [ -n "$limit" ] || die "cannot compute the latest acceptable snapshot name (date -d @N)"
  latest=""
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    name=${line%/index.json}
    if [ "$(stamp_number "$name")" -gt "$limit" ]; then
      log "warning: ignoring snapshot $name: later than now + ${SKEW}s, so not written by this job (planted, or a clock is wrong)"
    else
      latest=$name
    fi
  done <"$WORK/snapshots.txt"
  : >"$WORK/previous.tsv"
  : >"$WORK/previous.name"
  if [ -n "$latest" ]; then
    # The previous snapshot only says which digests need no copy from Harbor; collect checks that
    # the store holds their blobs. Unreadable or malformed: nothing is reused (only costs time).
    if rclone copyto "$STORE/snapshots/$latest/refs.tsv" "$WORK/previous.raw" 2>"$WORK/previous.err"; then
      grep -E '^[^	 ]+:[^	 ]+	sha256:[0-9a-f]{64}	[^	]+	[0-9]+$' "$WORK/previous.raw" >"$WORK/previous.tsv" || true
    else
      log "warning: previous snapshot $latest has no readable refs.tsv ($(tail -n 1 "$WORK/previous.err")): nothing is reused"
    fi
    printf '%s\n' "$latest" >"$WORK/previous.name"
    log "previous snapshot $latest ($(wc -l <"$WORK/previous.tsv" | tr -d ' ') refs)"
  else
    log "no previous snapshot"
  fi
  # What the store holds (size TAB hex), one listing: collect reuses a digest of the previous
  # snapshot only when its manifest (with the size Harbor serves) and what it names are here.
  if ! rclone lsf --files-only --format sp --separator '	' "$STORE/blobs/sha256" >"$WORK/stored.tsv" 2>"$WORK/lsf.err"; then
    grep -q -i 'directory not found' "$WORK/lsf.err" || { cat "$WORK/lsf.err" >&2; die "cannot list the blobs in $STORE/blobs/sha256"; }
    : >"$WORK/stored.tsv"
  fi
}

# The manifest's media type, from its bytes (as containers/image manifest.GuessMIMEType does).
media_type() {
  if grep -q '"manifests"' "$1"; then
    if grep -q 'application/vnd.docker.distribution.manifest.list.v2+json' "$1"; then
      echo application/vnd.docker.distribution.manifest.list.v2+json
    else
      echo application/vnd.oci.image.index.v1+json
    fi
  elif grep -q '"schemaVersion"[[:space:]]*:[[:space:]]*1[^0-9]' "$1"; then
    echo unsupported
  elif grep -q '"mediaType"[[:space:]]*:[[:space:]]*"application/vnd.docker.distribution.manifest.v2+json"' "$1"; then
    echo application/vnd.docker.distribution.manifest.v2+json
  else
    echo application/vnd.oci.image.manifest.v1+json
  fi
}

# Lines of file $1 that are not lines of file $2 (comm -23 without comm, which some busybox builds
# lack; an empty $2 is handled apart: busybox grep -v -f with no patterns prints nothing).
lines_not_in() { if [ -s "$2" ]; then grep -v -x -F -f "$2" "$1" || true; else cat "$1"; fi; }

sha_hex() { sha256sum "$1" | cut -d' ' -f1; }

# Move a `dir:` copy into the content-addressed blob directory.
ingest() {
  src=$1
  dst="$WORK/layout/blobs/sha256"
  mkdir -p "$dst"
  for f in "$src"/*; do
    base=${f##*/}
    case "$base" in
      version | signature-*) continue ;;
      manifest.json | *.manifest.json) hex=$(sha_hex "$f") ;;
      *) printf '%s' "$base" | grep -q -E '^[0-9a-f]{64}$' || die "unexpected file $base in a dir: copy"; hex=$base ;;
    esac
    mv -f "$f" "$dst/$hex"
  done
}

# Copy one image by digest from Harbor into the layout (once per run).
copy_image() {
  grep -q -x "$2" "$WORK/copied" && return 0
  rm -rf "$WORK/copy"
  # By digest: a tag moved since the inspect cannot mix two images.
  skopeo copy --quiet --all --preserve-digests --src-tls-verify="$tls" --authfile "$WORK/auth.json" \
    "docker://$REGISTRY/$1@$2" "dir:$WORK/copy"
  ingest "$WORK/copy"
  printf '%s\n' "$2" >>"$WORK/copied"
  new=$((new + 1))
}

# A digest the previous snapshot names is reused only when the store holds its manifest with the
# size Harbor serves and every digest that manifest names (config, layers, child manifests);
# otherwise it is copied again and uploaded.
check_reused() {
  [ -s "$WORK/reuse.digests" ] || return 0
  # The patterns are this run's (small) lists; the store's listing is only searched.
  { grep -x -F -f "$WORK/reuse.manifests" "$WORK/stored.tsv" || true; } >"$WORK/reuse.m.present"
  lines_not_in "$WORK/reuse.manifests" "$WORK/reuse.m.present" | cut -f2 | sed 's/^/sha256:/' >"$WORK/reuse.bad"
  cut -f2 "$WORK/reuse.children" | sed 's/^sha256://' | sort -u >"$WORK/children.hex"
  cut -f2 "$WORK/stored.tsv" | { grep -x -F -f "$WORK/children.hex" || true; } >"$WORK/children.present"
  lines_not_in "$WORK/children.hex" "$WORK/children.present" | sed 's/^/sha256:/' >"$WORK/children.missing"
  if [ -s "$WORK/children.missing" ]; then
    grep -F -f "$WORK/children.missing" "$WORK/reuse.children" | cut -f1 >>"$WORK/reuse.bad" || true
  fi
  # shellcheck disable=SC2013
  for digest in $(LC_ALL=C sort -u "$WORK/reuse.bad"); do
    repo=$(grep -m 1 "^$digest	" "$WORK/reuse.repos" | cut -f2)
    log "warning: the previous snapshot names $digest ($repo) but the store lacks its blobs or its manifest has another size: copying it again"
    copy_image "$repo" "$digest"
  done
}

harbor_repositories() {
  project=$1
  page=1
  while [ "$page" -le "$MAX_PAGES" ]; do
    # Harbor API v2.0: GET /projects/{project_name}/repositories (swagger listRepositories);
    # X-Is-Resource-Name: the path holds a name even when it looks like an id.
    body=$(curl -fsS ${CURL_TLS:+"$CURL_TLS"} -K "$WORK/curl.cfg" -H 'X-Is-Resource-Name: true' \
      "$HARBOR_URL/api/v2.0/projects/$project/repositories?page=$page&page_size=$PAGE_SIZE") ||
      die "listing repositories of project $project failed (is the robot allowed repository:list there?)"
    names=$(printf '%s' "$body" | grep -o '"name":"[^"]*"' | sed 's/^"name":"//; s/"$//' || true)
    [ -z "$names" ] && return 0
    printf '%s\n' "$names"
    [ "$(printf '%s\n' "$names" | wc -l)" -lt "$PAGE_SIZE" ] && return 0
    page=$((page + 1))
  done
  die "project $project: more than $MAX_PAGES pages of repositories"
}

# Tags of one repository into $WORK/tags (a failure stops the run: no snapshot with holes).
repo_tags() {
  skopeo list-tags --tls-verify="$tls" --authfile "$WORK/auth.json" "docker://$REGISTRY/$1" >"$WORK/tags.json" ||
    die "listing tags of $1 failed"
  sed -n '/"Tags"/,/\]/p' "$WORK/tags.json" | grep -o '"[^"]*"' | grep -v '^"Tags"$' | sed 's/^"//; s/"$//' >"$WORK/tags" || true
}

phase_collect() {
  : "${HARBOR_URL:?set HARBOR_URL}" "${PROJECTS:?set PROJECTS}" "${HARBOR_USERNAME:?}" "${HARBOR_PASSWORD:?}"
  REGISTRY=${REGISTRY:-$(printf '%s' "$HARBOR_URL" | sed 's#^[a-z]*://##; s#/.*$##')}
  tls=${TLS_VERIFY:-true}
  [ "$tls" = false ] && CURL_TLS=-k || CURL_TLS=
  [ -f "$WORK/previous.tsv" ] || : >"$WORK/previous.tsv"
  # Credentials in files (mode 600), never on a command line; removed however the phase ends
  # ($WORK is shared with the upload container and, in tests, with the next phase).
  umask 077
  trap 'rm -f "$WORK/auth.json" "$WORK/curl.cfg"' EXIT
  auth=$(printf '%s:%s' "$HARBOR_USERNAME" "$HARBOR_PASSWORD" | base64 | tr -d '\n')
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$auth" >"$WORK/auth.json"
  printf 'user = "%s:%s"\n' "$HARBOR_USERNAME" "$HARBOR_PASSWORD" >"$WORK/curl.cfg"
  # The snapshot is named by the time Harbor was read (what `npm run restore -- --at` selects on),
  # never the previous snapshot's name (two runs within one second).
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  tries=0
  while [ "$stamp" = "$(cat "$WORK/previous.name" 2>/dev/null || true)" ] && [ "$tries" -lt 3 ]; do
    sleep 1; stamp=$(date -u +%Y%m%dT%H%M%SZ); tries=$((tries + 1))
  done
  printf '%s\n' "$stamp" >"$WORK/stamp"
  rm -rf "$WORK/layout" "$WORK/copy"
  mkdir -p "$WORK/layout/blobs/sha256"
  : >"$WORK/refs.tsv"
  : >"$WORK/copied"
  : >"$WORK/reuse.digests"
  : >"$WORK/reuse.repos"
  : >"$WORK/reuse.manifests"
  : >"$WORK/reuse.children"
  [ -f "$WORK/stored.tsv" ] || : >"$WORK/stored.tsv"
  new=0
  for project in $PROJECTS; do
    # Into files, not $(...): a failed listing must end the run, not yield an empty list.
    harbor_repositories "$project" >"$WORK/repos.raw"
    sort -u "$WORK/repos.raw" >"$WORK/repos.$project"
    # Repository and tag names cannot hold spaces or glob characters (distribution's reference grammar).
    # shellcheck disable=SC2013
    for repo in $(cat "$WORK/repos.$project"); do
      repo_tags "$repo"
      # shellcheck disable=SC2013
      for tag in $(cat "$WORK/tags"); do
        if ! skopeo inspect --raw --tls-verify="$tls" --authfile "$WORK/auth.json" "docker://$REGISTRY/$repo:$tag" >"$WORK/manifest" 2>"$WORK/inspect.err"; then
          # Deleted since it was listed: not part of this snapshot. Anything else ends the run.
          if grep -q -i 'manifest unknown' "$WORK/inspect.err"; then log "skip $repo:$tag: deleted while archiving"; continue; fi
          cat "$WORK/inspect.err" >&2
          die "reading $repo:$tag failed"
        fi
        digest="sha256:$(sha_hex "$WORK/manifest")"
        # Media type and size from the bytes Harbor served (never from the previous snapshot's file).
        mt=$(media_type "$WORK/manifest")
        [ "$mt" = unsupported ] && { log "skip $repo:$tag: Docker schema 1 manifests cannot be archived by digest"; continue; }
        size=$(wc -c <"$WORK/manifest" | tr -d ' ')
        if grep -q -m 1 "	$digest	" "$WORK/previous.tsv"; then
          # Archived before, by the previous snapshot's word: checked against the store below.
          if ! grep -q -x "$digest" "$WORK/reuse.digests"; then
            printf '%s\n' "$digest" >>"$WORK/reuse.digests"
            printf '%s\t%s\n' "$digest" "$repo" >>"$WORK/reuse.repos"
            printf '%s\t%s\n' "$size" "${digest#sha256:}" >>"$WORK/reuse.manifests"
            grep -o 'sha256:[0-9a-f]\{64\}' "$WORK/manifest" | sed "s/^sha256:/$digest	/" >>"$WORK/reuse.children" || true
          fi
        else
          copy_image "$repo" "$digest"
        fi
        printf '%s:%s\t%s\t%s\t%s\n' "$repo" "$tag" "$digest" "$mt" "$size" >>"$WORK/refs.tsv"
      done
    done
  done
  check_reused
  rm -f "$WORK/auth.json" "$WORK/curl.cfg" "$WORK/manifest"
  # The snapshot's OCI index (ref.name annotations: OCI image-layout spec, index.json).
  {
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['
    sep=""
    while IFS="	" read -r ref digest mt size; do
      printf '%s{"mediaType":"%s","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}' "$sep" "$mt" "$digest" "$size" "$ref"
      sep=","
    done <"$WORK/refs.tsv"
    printf ']}\n'
  } >"$WORK/layout/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}\n' >"$WORK/layout/oci-layout"
  log "collected $(wc -l <"$WORK/refs.tsv" | tr -d ' ') refs, $new new images"
}

# `"key":N` from rclone's final JSON stats line (--use-json-log).
stat_of() { grep '"stats"' "$1" | tail -n 1 | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }

# This run's blobs that rclone skipped because their names were already stored: anyone holding the
# add-only key could have planted those names. Each is read back and hashed; a mismatch is replaced
# with the bytes that match its name (the only bytes it may hold), read back again, and the run
# fails (no snapshot) where the store refuses (Object Lock / WORM) or the bytes still do not match.
check_existing() {
  (cd "$WORK/layout/blobs" && find sha256 -type f) >"$WORK/run.list"
  { grep '"msg":"Copied' "$WORK/rclone.log" || true; } | { grep -o '"object":"sha256/[0-9a-f]*"' || true; } | sed 's/^"object":"//; s/"$//' >"$WORK/copied.list"
  lines_not_in "$WORK/run.list" "$WORK/copied.list" >"$WORK/existing.list"
  [ -s "$WORK/existing.list" ] || return 0
  rclone hashsum sha256 --download --files-from "$WORK/existing.list" "$STORE/blobs" >"$WORK/existing.sums" 2>"$WORK/hashsum.err" ||
    { cat "$WORK/hashsum.err" >&2; die "reading back the stored blobs this run reuses failed"; }
  log "checked $(wc -l <"$WORK/existing.list" | tr -d ' ') already stored blob(s) against their digests"
  unfixed=""
  while IFS= read -r f; do
    hex=${f#sha256/}
    got=$(grep -m 1 "  $f\$" "$WORK/existing.sums" | cut -d' ' -f1 || true)
    [ "$got" = "$hex" ] && continue
    log "warning: stored blob blobs/$f does not match its digest (its bytes hash to sha256:${got:-?}): planted or damaged; replacing it with the bytes that match"
    if rclone copyto --ignore-times "$WORK/layout/blobs/$f" "$STORE/blobs/$f" 2>"$WORK/repair.err" &&
      [ "$(rclone hashsum sha256 --download "$STORE/blobs/$f" 2>/dev/null | cut -d' ' -f1)" = "$hex" ]; then
      log "replaced blobs/$f"
    else
      tail -n 2 "$WORK/repair.err" >&2
      unfixed="$unfixed blobs/$f"
    fi
  done <"$WORK/existing.list"
  [ -z "$unfixed" ] || die "stored blob(s)$unfixed do not match their digest and the store refused to replace them (Object Lock, WORM or an add-only key do that): no snapshot written. Remove the planted object(s) with the store's administrator identity once their retention allows it (docs/archive-trust.md)"
}

phase_upload() {
  : "${STORE:?set STORE}"
  [ -f "$WORK/layout/index.json" ] || die "nothing collected: run the collect phase first"
  stamp=$(cat "$WORK/stamp")
  # Upload the blobs whose names are not stored yet; the names that are stored are not trusted
  # for their content: check_existing reads each back and hashes it (docs/archive-trust.md).
  # --no-traverse: look up only this run's new blobs (one HEAD each) instead of listing the whole
  # store; a run with nothing new sends no request for blobs at all.
  rclone copy --ignore-existing --no-traverse --use-json-log -v "$WORK/layout/blobs" "$STORE/blobs" 2>"$WORK/rclone.log" ||
    { cat "$WORK/rclone.log" >&2; die "uploading blobs failed"; }
  files=$(stat_of "$WORK/rclone.log" transfers)
  bytes=$(stat_of "$WORK/rclone.log" bytes)
  check_existing
  rclone copyto --ignore-existing "$WORK/layout/oci-layout" "$STORE/oci-layout"
  # Only by-hand restores (skopeo oci:) read it; npm run restore does not.
  [ "$(rclone cat "$STORE/oci-layout" 2>/dev/null)" = '{"imageLayoutVersion":"1.0.0"}' ] ||
    log "warning: the stored oci-layout is not {\"imageLayoutVersion\":\"1.0.0\"} (planted?): by-hand restores with skopeo oci: must write their own"
  # --immutable: fail rather than replace a snapshot file that already exists.
  rclone copyto --immutable "$WORK/refs.tsv" "$STORE/snapshots/$stamp/refs.tsv"
  rclone copyto --immutable "$WORK/layout/index.json" "$STORE/snapshots/$stamp/index.json"
  printf 'snapshot=%s refs=%s uploadedBlobs=%s uploadedBytes=%s\n' "$stamp" "$(wc -l <"$WORK/refs.tsv" | tr -d ' ')" "${files:-0}" "${bytes:-0}" | tee "$WORK/summary"
}

case "$phase" in
  state) phase_state ;;
  collect) phase_collect ;;
  upload) phase_upload ;;
  all) phase_state; phase_collect; phase_upload ;;
  *) die "unknown phase $phase (state | collect | upload | all)" ;;
esac
