/** Every container image this project runs, pinned by digest (multi-arch index digests). */

/** CNCF distribution v3.0.0: region mirrors (proxy mode) and the in-cluster backup registry. */
export const DISTRIBUTION_IMAGE = "docker.io/library/registry:3.0.0@sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e";

/** busybox 1.36.1: sh, cmp, mktemp, pidof for the node file writer. */
export const WRITER_IMAGE = "docker.io/library/busybox:1.36.1@sha256:73aaf090f3d85aa34ee199857f03fa3a95c8ede2ffd4cc2cdb5b94e566b11662";
