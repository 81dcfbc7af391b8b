/** RAM policy documents for an Alibaba ACR backup, limited to one namespace (pure, unit-tested). */

export interface AlibabaScope {
  region: string;
  accountId: string;
  namespace: string;
  /** Enterprise Edition instance id; Personal Edition when absent. */
  instanceId?: string;
}

export interface RamStatement {
  Effect: "Allow";
  Action: string[];
  Resource: string[];
}

export interface RamPolicyDocument {
  Version: "1";
  Statement: RamStatement[];
}

/**
 * The namespace and everything in it. Enterprise ARNs carry the instance id as the first path
 * segment (`repository/$instanceid/$namespacename[/*]`, Alibaba "RAM authorization information");
 * a Personal Edition ARN never matches an Enterprise repository and vice versa.
 */
export function namespaceArns(s: AlibabaScope): string[] {
  const base = `acs:cr:${s.region}:${s.accountId}:repository/${s.instanceId ? `${s.instanceId}/` : ""}${s.namespace}`;
  return [base, `${base}/*`];
}

/*
 * Every action below is one Harbor's `ali-acr` adapter (v2.15.1, src/pkg/reg/adapter/aliacr)
 * needs when ACR is a replication *target*, checked against Alibaba's RAM authentication rules for
 * Container Registry (www.alibabacloud.com/help/doc-detail/144948.htm "Authentication rules",
 * and help.aliyun.com/en/acr/user-guide/ram-authorization-information for the ARN formats):
 * - newAdapter pings the registry, then authenticates every registry call with a bearer token
 *   whose password comes from the OpenAPI GetAuthorizationToken (aliacr/auth.go Modify ->
 *   openapi.go GetAuthorizationToken, both editions). RAM authorizes that action on `*` only
 *   ("GetAuthorizationToken | cr:GetAuthorizationToken | *"): scoped to an instance ARN it never
 *   matches, the token call is refused and the endpoint stays unhealthy.
 * - Push goes through native.Adapter with that token: blob/manifest existence checks (HEAD, a
 *   read: cr:PullRepository) and uploads (cr:PushRepository) on the namespace's repositories.
 * - The namespace auto-creates repositories on first push (autoCreate: true); cr:CreateRepository
 *   is granted on the namespace for that. Whether an implicit create checks it is not verified here.
 * - ListNamespace / ListRepository / ListRepoTag and the instance reads are only called by
 *   FetchArtifacts, i.e. when ACR is a replication *source*: not granted.
 * - Deleting (native DeleteManifest: DELETE /v2/<repo>/manifests/<digest>) is an image delete on
 *   the repository: cr:DeleteRepositoryTag, granted only when Harbor replicates deletions. That
 *   this is the action ACR checks for a registry-API DELETE is not verified here.
 */
const TOKEN_ACTIONS = ["cr:GetAuthorizationToken"];
const PULL_ACTIONS = ["cr:PullRepository"];
const PUSH_ACTIONS = ["cr:PullRepository", "cr:PushRepository", "cr:CreateRepository"];
export const DELETE_ACTIONS = ["cr:DeleteRepositoryTag"];

export interface PolicyOptions {
  /** Harbor replicates deletions: the push user may also delete in the namespace. */
  replicateDeletions?: boolean;
}

export function alibabaPolicyDocument(s: AlibabaScope, role: "push" | "pull", opts: PolicyOptions = {}): RamPolicyDocument {
  const actions = role === "pull" ? PULL_ACTIONS : [...PUSH_ACTIONS, ...(opts.replicateDeletions ? DELETE_ACTIONS : [])];
  return {
    Version: "1",
    Statement: [
      { Effect: "Allow", Action: TOKEN_ACTIONS, Resource: ["*"] },
      { Effect: "Allow", Action: actions, Resource: namespaceArns(s) },
    ],
  };
}

/** Login host of the registry (no scheme). */
export function alibabaHost(cfg: { region: string; international: boolean; instanceName?: string }): string {
  if (cfg.instanceName) return `${cfg.instanceName}-registry.${cfg.region}.cr.aliyuncs.com`;
  return `registry${cfg.international ? "-intl" : ""}.${cfg.region}.aliyuncs.com`;
}
