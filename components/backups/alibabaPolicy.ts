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
 * segment: a Personal Edition ARN never matches an Enterprise repository and vice versa.
 */
export function namespaceArns(s: AlibabaScope): string[] {
  const base = `acs:cr:${s.region}:${s.accountId}:repository/${s.instanceId ? `${s.instanceId}/` : ""}${s.namespace}`;
  return [base, `${base}/*`];
}

export function instanceArn(s: AlibabaScope): string | undefined {
  return s.instanceId ? `acs:cr:${s.region}:${s.accountId}:instance/${s.instanceId}` : undefined;
}

/** Read-only actions; `cr:Get*`/`cr:List*` stay limited to the namespace by the Resource list. */
const PULL_ACTIONS = ["cr:PullRepository", "cr:GetRepository", "cr:GetRepositoryTag", "cr:ListRepository", "cr:ListRepositoryTag", "cr:Get*", "cr:List*"];
/** Harbor creates repositories on first push (the namespace auto-creates them as private). */
const PUSH_ACTIONS = ["cr:PushRepository", "cr:CreateRepository", "cr:UpdateRepository", ...PULL_ACTIONS];

/**
 * `cr:GetAuthorizationToken` mints the temporary docker login for the AccessKey (Harbor's ali-acr
 * adapter calls it). Enterprise scopes it to the instance; Personal Edition has no resource-level
 * form for it, so it is `*` there: the token by itself grants nothing, every image operation is
 * still checked against the namespace statement.
 */
function tokenStatement(s: AlibabaScope): RamStatement {
  return { Effect: "Allow", Action: ["cr:GetAuthorizationToken"], Resource: [instanceArn(s) ?? "*"] };
}

export function alibabaPolicyDocument(s: AlibabaScope, role: "push" | "pull"): RamPolicyDocument {
  const statements: RamStatement[] = [
    tokenStatement(s),
    { Effect: "Allow", Action: role === "push" ? PUSH_ACTIONS : PULL_ACTIONS, Resource: namespaceArns(s) },
  ];
  const instance = instanceArn(s);
  if (instance) {
    // The ali-acr adapter reads the instance and lists its namespaces to find ours.
    statements.push({ Effect: "Allow", Action: ["cr:GetInstance", "cr:GetInstanceEndpoint", "cr:ListInstanceEndpoint", "cr:ListNamespace"], Resource: [instance] });
  }
  return { Version: "1", Statement: statements };
}

/** Login host of the registry (no scheme). */
export function alibabaHost(cfg: { region: string; international: boolean; instanceName?: string }): string {
  if (cfg.instanceName) return `${cfg.instanceName}-registry.${cfg.region}.cr.aliyuncs.com`;
  return `registry${cfg.international ? "-intl" : ""}.${cfg.region}.aliyuncs.com`;
}
