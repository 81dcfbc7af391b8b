import { ALIBABA_CR_REGIONS } from "../../config/cloud-regions/alibaba";
import { defineMockInvoke, defineMockOutputs } from "./registry";
import { fakeAlnum } from "./fake";
import { defineMockCheck, regionRefusal, str } from "./refusals";

export const MOCK_ALIBABA_ACCOUNT_ID = "5123456789012345";

defineMockInvoke("alicloud:index/getCallerIdentity:getCallerIdentity", () => ({
  accountId: MOCK_ALIBABA_ACCOUNT_ID,
  arn: `acs:ram::${MOCK_ALIBABA_ACCOUNT_ID}:user/deployer`,
  identityType: "RAMUser",
  id: MOCK_ALIBABA_ACCOUNT_ID,
}));

// AccessKey secrets are 30 alphanumerics.
defineMockOutputs("alicloud:ram/accessKey:AccessKey", (a) => ({ secret: fakeAlnum(`ak-secret/${a.name}`, 30), status: "Active" }));
defineMockOutputs("alicloud:ram/policy:Policy", (a) => ({ name: a.inputs.policyName, type: "Custom", defaultVersion: "v1" }));

// ---- What Alibaba Cloud refuses ----
const ALIBABA_REGION = /^[a-z]{2}-[a-z]+(-\d+)?$/;

/** Each backup's own provider sets its region: Container Registry must be offered there. */
defineMockCheck("pulumi:providers:alicloud", (a) => regionRefusal(a.inputs.region, ALIBABA_REGION, ALIBABA_CR_REGIONS, "region"));

/** RAM user names: 1-64 characters of letters, digits, '.', '_', '-' (RAM CreateUser UserName). */
defineMockCheck("alicloud:ram/user:User", (a) => {
  const name = str(a.inputs.name) ?? "";
  return /^[a-zA-Z0-9._-]{1,64}$/.test(name) ? [] : [`name "${name}" must be 1-64 letters, digits, '.', '_' or '-'`];
});

/**
 * RAM policy documents (RAM "Policy structure and syntax"): Version "1", each statement with
 * Effect Allow/Deny, a non-empty Action list of `<service>:<Action>`, and Resources that are `*` or
 * an `acs:` ARN.
 */
defineMockCheck("alicloud:ram/policy:Policy", (a) => {
  const text = str(a.inputs.policyDocument);
  if (text === undefined) return [];
  let doc: { Version?: unknown; Statement?: { Effect?: unknown; Action?: unknown; Resource?: unknown }[] };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return ["policyDocument is not JSON"];
  }
  const problems: string[] = [];
  if (doc.Version !== "1") problems.push('policyDocument Version must be "1"');
  (doc.Statement ?? []).forEach((st, i) => {
    if (st.Effect !== "Allow" && st.Effect !== "Deny") problems.push(`Statement[${i}].Effect must be Allow or Deny`);
    const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
    if (actions.length === 0 || actions.some((x) => typeof x !== "string" || !/^[a-z]+:[A-Za-z*]+$/.test(x))) problems.push(`Statement[${i}].Action must be <service>:<Action> names`);
    const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource];
    if (resources.length === 0 || resources.some((x) => typeof x !== "string" || !(x === "*" || x.startsWith("acs:")))) problems.push(`Statement[${i}].Resource must be * or acs: ARNs`);
  });
  return problems;
});

/** Personal Edition namespaces: 2-30 lowercase letters, digits, '-' or '_' (cr CreateNamespace). */
for (const type of ["alicloud:cr/namespace:Namespace", "alicloud:cs/registryEnterpriseNamespace:RegistryEnterpriseNamespace"]) {
  defineMockCheck(type, (a) => {
    const name = str(a.inputs.name) ?? "";
    return /^[a-z0-9][a-z0-9_-]{0,28}[a-z0-9]$/.test(name) ? [] : [`name "${name}" must be 2-30 lowercase letters, digits, '-' or '_'`];
  });
}
