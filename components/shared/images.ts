/** Every container image this project runs, pinned by digest (multi-arch index digests). */

/** CNCF distribution v3.0.0: region mirrors (proxy mode) and the in-cluster backup registry. */
export const DISTRIBUTION_IMAGE = "docker.io/library/registry:3.0.0@sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e";

/**
 * Node file writer: curl 8.11.1 on Alpine (busybox sh, awk, cmp, mktemp, pidof, stat, timeout).
 * curl because the health probe must present a client certificate to the mTLS mirrors (busybox
 * wget cannot) and tell a 401 from a dead mirror. The digest is the one public code pins for this
 * tag (several repositories agree); it could not be checked against Docker Hub from here (no
 * network): run `skopeo inspect --raw docker://<image>` before relying on it, and check that its
 * busybox has the applets above (writer.sh is tested under Debian's busybox 1.35 and curl).
 */
export const WRITER_IMAGE = "docker.io/curlimages/curl:8.11.1@sha256:c1fe1679c34d9784c1b0d1e5f62ac0a79fca01fb6377cdd33e90473c6f9f9a69";

/**
 * Archive job (components/archives): skopeo reads Harbor, rclone writes the store. The digests come
 * from public code that pins these tags (not checked against quay.io / Docker Hub from here: no
 * network); run `skopeo inspect --raw docker://<image>` before relying on them.
 */
export const SKOPEO_IMAGE = "quay.io/skopeo/stable:v1.22.2@sha256:0b98d4296bfd35680c09fd40a5bff17b8569715258a4bee0a7ae3ca500eaaece";
export const RCLONE_IMAGE = "docker.io/rclone/rclone:1.69.3@sha256:1f497a86a6466395e62a5886613a14b7b18809543566ef9fa35fa1371a7ecc0f";

/**
 * The metrics exporter (components/observability): Node 24 on Alpine runs the exporter's
 * transpiled files from a ConfigMap (it needs no package). The digest is one that public code pins
 * for this tag (several repositories agree); not checked against Docker Hub from here (no network):
 * run `skopeo inspect --raw docker://<image>` before relying on it. The archive checks use the
 * static rclone binary of RCLONE_IMAGE (built with CGO_ENABLED=0), copied in by an init container.
 */
export const NODE_IMAGE = "docker.io/library/node:24-alpine@sha256:a0b9bf06e4e6193cf7a0f58816cc935ff8c2a908f81e6f1a95432d679c54fbfd";
