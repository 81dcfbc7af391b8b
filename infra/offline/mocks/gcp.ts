import { GAR_MULTI_REGIONS, GCP_REGIONS } from "../../config/cloud-regions/gcp";
import { defineMockOutputs } from "./registry";
import { fakeAlnum, fakeHex } from "./fake";
import { defineMockCheck, regionRefusal, str } from "./refusals";

defineMockOutputs("gcp:artifactregistry/repository:Repository", (a) => ({
  name: a.inputs.repositoryId,
  registryUri: `${String(a.inputs.location)}-docker.pkg.dev/${String(a.inputs.project)}/${String(a.inputs.repositoryId)}`,
  createTime: "2026-01-01T00:00:00Z",
}));

defineMockOutputs("gcp:serviceaccount/account:Account", (a) => {
  const email = `${String(a.inputs.accountId)}@${String(a.inputs.project)}.iam.gserviceaccount.com`;
  return {
    email,
    member: `serviceAccount:${email}`,
    name: `projects/${String(a.inputs.project)}/serviceAccounts/${email}`,
    uniqueId: String(BigInt(`0x${fakeHex(email, 15)}`)),
  };
});

// privateKey is the base64 of a JSON key file, as the provider returns it.
defineMockOutputs("gcp:serviceaccount/key:Key", (a) => {
  const account = String(a.inputs.serviceAccountId).split("/").pop() ?? "sa@example.iam.gserviceaccount.com";
  const keyId = fakeHex(`key/${a.name}`, 40);
  const file = {
    type: "service_account",
    project_id: account.split("@")[1]?.split(".")[0] ?? "project",
    private_key_id: keyId,
    private_key: `-----BEGIN PRIVATE KEY-----\n${fakeAlnum(`gcp-key/${a.name}`, 64)}\n-----END PRIVATE KEY-----\n`,
    client_email: account,
    client_id: String(BigInt(`0x${fakeHex(account, 15)}`)),
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
  };
  return { name: `${String(a.inputs.serviceAccountId)}/keys/${keyId}`, privateKey: Buffer.from(JSON.stringify(file)).toString("base64"), keyAlgorithm: "KEY_ALG_RSA_2048" };
});

// ---- What Google Cloud refuses ----
const GCP_LOCATION = /^[a-z]+(-[a-z]+\d+)?$/;

/** repositoryId: lowercase letters, digits, hyphens, starting with a letter (Artifact Registry "Create repositories"). */
defineMockCheck("gcp:artifactregistry/repository:Repository", (a) => {
  const id = str(a.inputs.repositoryId) ?? "";
  return [
    ...regionRefusal(a.inputs.location, GCP_LOCATION, [...GAR_MULTI_REGIONS, ...GCP_REGIONS], "location"),
    ...(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(id) ? [] : [`repositoryId "${id}" must be lowercase letters, digits and '-', starting with a letter`]),
  ];
});

/** accountId: 6-30 characters, `^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$` (IAM serviceAccounts.create). */
defineMockCheck("gcp:serviceaccount/account:Account", (a) => {
  const id = str(a.inputs.accountId) ?? "";
  return /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(id) ? [] : [`accountId "${id}" must match ^[a-z][-a-z0-9]{4,28}[a-z0-9]$`];
});

/**
 * Custom roles: roleId `^[a-zA-Z0-9_.]{3,64}$`, and only permissions that exist (IAM
 * projects.roles.create). Only the Artifact Registry permissions this program may use are known here.
 */
const KNOWN_PERMISSIONS = new Set(["artifactregistry.tags.delete", "artifactregistry.versions.delete"]);
defineMockCheck("gcp:projects/iAMCustomRole:IAMCustomRole", (a) => {
  const id = str(a.inputs.roleId) ?? "";
  const perms = Array.isArray(a.inputs.permissions) ? (a.inputs.permissions as unknown[]) : [];
  return [
    ...(/^[a-zA-Z0-9_.]{3,64}$/.test(id) ? [] : [`roleId "${id}" must match ^[a-zA-Z0-9_.]{3,64}$`]),
    ...(perms.length > 0 ? [] : ["permissions must not be empty"]),
    ...perms.filter((p) => !KNOWN_PERMISSIONS.has(String(p))).map((p) => `permission "${String(p)}" is not one this mock knows exists`),
  ];
});

/** IAM bindings on a repository name a predefined role or a project custom role. */
defineMockCheck("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", (a) => {
  const role = str(a.inputs.role);
  return role === undefined || /^(roles\/[a-zA-Z.]+|projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/roles\/[a-zA-Z0-9_.]{3,64})$/.test(role) ? [] : [`role "${role}" is neither roles/... nor projects/<project>/roles/<id>`];
});

defineMockOutputs("gcp:projects/iAMCustomRole:IAMCustomRole", (a) => ({
  name: `projects/${String(a.inputs.project)}/roles/${String(a.inputs.roleId)}`,
  deleted: false,
}));
