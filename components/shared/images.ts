/** Every container image this project runs, pinned by digest (multi-arch index digests). */

/** CNCF distribution v3.0.0: region mirrors (proxy mode) and the in-cluster backup registry. */
export const DISTRIBUTION_IMAGE = "docker.io/library/registry:3.0.0@sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e";

/** busybox 1.36.1: sh, cmp, mktemp, pidof for the node file writer. */
export const WRITER_IMAGE = "docker.io/library/busybox:1.36.1@sha256:73aaf090f3d85aa34ee199857f03fa3a95c8ede2ffd4cc2cdb5b94e566b11662";

/**
 * Archive job (components/archives): skopeo reads Harbor, rclone writes the store. The digests come
 * from public code that pins these tags (not checked against quay.io / Docker Hub from here: no
 * network); run `skopeo inspect --raw docker://<image>` before relying on them.
 */
export const SKOPEO_IMAGE = "quay.io/skopeo/stable:v1.22.2@sha256:0b98d4296bfd35680c09fd40a5bff17b8569715258a4bee0a7ae3ca500eaaece";
export const RCLONE_IMAGE = "docker.io/rclone/rclone:1.69.3@sha256:1f497a86a6466395e62a5886613a14b7b18809543566ef9fa35fa1371a7ecc0f";
