/** Names the token refresher and the identities trusted for it share (no Pulumi, importable anywhere). */

/** Namespace of the refresher (the node file writers' namespace, components/mirrors/writer.ts). */
export const REFRESHER_NAMESPACE = "kube-system";
/** Service account the refresher runs as: the one IRSA / Pod Identity trust is pinned to. */
export const REFRESHER_SERVICE_ACCOUNT = "registry-topology-token-refresher";
