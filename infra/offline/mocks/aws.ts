import { ecrRepositoryNameProblem } from "../../config/ecr";
import { AWS_ECR_REGIONS } from "../../config/cloud-regions/aws";
import { IAM_MANAGED_POLICY_MAX_CHARS, iamPolicySize } from "../../../components/backups/ecrPolicy";
import { defineMockOutputs } from "./registry";
import { fakeAlnum } from "./fake";
import { defineMockCheck, regionRefusal, str } from "./refusals";

// Access key ids are 20 characters starting AKIA, secrets 40 characters (IAM CreateAccessKey).
defineMockOutputs("aws:iam/accessKey:AccessKey", (a) => ({ id: `AKIA${fakeAlnum(`aws-akid/${a.name}`, 16).toUpperCase()}`, secret: fakeAlnum(`aws-secret/${a.name}`, 40), status: "Active" }));
defineMockOutputs("aws:iam/user:User", (a) => ({ arn: `arn:aws:iam::000000000000:user${String(a.inputs.path ?? "/")}${String(a.inputs.name)}`, uniqueId: `AIDA${fakeAlnum(a.name, 17).toUpperCase()}` }));
defineMockOutputs("aws:iam/policy:Policy", (a) => ({ arn: `arn:aws:iam::000000000000:policy/${String(a.inputs.name)}`, policyId: `ANPA${fakeAlnum(a.name, 17).toUpperCase()}` }));
defineMockOutputs("aws:iam/role:Role", (a) => ({ arn: `arn:aws:iam::000000000000:role${String(a.inputs.path ?? "/")}${String(a.inputs.name)}`, uniqueId: `AROA${fakeAlnum(a.name, 17).toUpperCase()}` }));
defineMockOutputs("aws:ecr/repository:Repository", (a) => ({ arn: `arn:aws:ecr:mock:000000000000:repository/${String(a.inputs.name)}`, registryId: "000000000000" }));

// ---- What AWS refuses ----
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Each backup's own provider sets its region: ECR must have an endpoint there. */
defineMockCheck("pulumi:providers:aws", (a) => regionRefusal(a.inputs.region, AWS_REGION, AWS_ECR_REGIONS, "region"));
for (const type of ["aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"]) {
  defineMockCheck(type, (a) => regionRefusal(a.inputs.region, AWS_REGION, AWS_ECR_REGIONS, "region"));
}

/** ECR CreateRepository `repositoryName`: 2-256 characters, lowercase '/'-separated segments. */
defineMockCheck("aws:ecr/repository:Repository", (a) => {
  const problem = ecrRepositoryNameProblem(str(a.inputs.name) ?? "");
  return problem ? [`name ${problem}`] : [];
});
/** Creation templates and replication filters take a repository name prefix of the same shape. */
defineMockCheck("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate", (a) => {
  const prefix = str(a.inputs.prefix) ?? "";
  if (prefix === "ROOT") return [];
  const problem = ecrRepositoryNameProblem(prefix);
  return problem ? [`prefix ${problem}`] : [];
});

/** IAM CreateUser / CreateRole: names of 1-64 characters from [\w+=,.@-]; paths `/.../` up to 512. */
for (const type of ["aws:iam/user:User", "aws:iam/role:Role"]) {
  defineMockCheck(type, (a) => {
    const name = str(a.inputs.name) ?? "";
    const problems = /^[\w+=,.@-]{1,64}$/.test(name) ? [] : [`name "${name}" must be 1-64 letters, digits or +=,.@_-`];
    const path = str(a.inputs.path);
    if (path !== undefined && !/^\/([\x21-\x7e]*\/)?$/.test(path)) problems.push(`path "${path}" must begin and end with '/'`);
    return problems;
  });
}

/**
 * IAM managed policies (IAM User Guide, "IAM and AWS STS quotas"): name 1-128 of [\w+=,.@-], the
 * document at most 6,144 characters not counting whitespace, Version 2012-10-17, statements with
 * Effect, `<service>:<Action>` actions and `*` or `arn:` resources.
 */
defineMockCheck("aws:iam/policy:Policy", (a) => {
  const problems: string[] = [];
  const name = str(a.inputs.name) ?? "";
  if (!/^[\w+=,.@-]{1,128}$/.test(name)) problems.push(`name "${name}" must be 1-128 letters, digits or +=,.@_-`);
  const text = str(a.inputs.policy);
  if (text === undefined) return problems;
  const size = iamPolicySize(text);
  if (size > IAM_MANAGED_POLICY_MAX_CHARS) problems.push(`policy is ${size} characters without whitespace; IAM allows ${IAM_MANAGED_POLICY_MAX_CHARS} for a managed policy`);
  let doc: { Version?: unknown; Statement?: { Effect?: unknown; Action?: unknown; Resource?: unknown }[] };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return [...problems, "policy is not JSON"];
  }
  if (doc.Version !== "2012-10-17") problems.push('policy Version must be "2012-10-17"');
  (doc.Statement ?? []).forEach((st, i) => {
    if (st.Effect !== "Allow" && st.Effect !== "Deny") problems.push(`Statement[${i}].Effect must be Allow or Deny`);
    const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
    if (actions.length === 0 || actions.some((x) => typeof x !== "string" || !/^[a-z0-9-]+:[A-Za-z*]+$/.test(x))) problems.push(`Statement[${i}].Action must be <service>:<Action> names`);
    const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource];
    if (resources.length === 0 || resources.some((x) => typeof x !== "string" || !(x === "*" || x.startsWith("arn:")))) problems.push(`Statement[${i}].Resource must be * or ARNs`);
  });
  return problems;
});
