import { defineMockOutputs } from "./registry";
import { fakeAlnum, fakeHex } from "./fake";

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
