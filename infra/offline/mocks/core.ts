import { defineMockOutputs } from "./registry";
import { fakeAlnum, fakeHex } from "./fake";

// Generated values are derived from the resource name: stable across runs (no churn in plans).
// The IDs are the provider's (terraform-provider-random internal/provider/resource_string.go
// `createStringFunc`): a RandomString's ID is its value, in clear; a RandomPassword's is "none".
for (const [type, valueIsId] of [["random:index/randomPassword:RandomPassword", false], ["random:index/randomString:RandomString", true]] as const) {
  defineMockOutputs(type, (a) => {
    const result = fakeAlnum(`${a.type}/${a.name}`, Number(a.inputs.length ?? 16));
    return { id: valueIsId ? result : "none", result };
  });
}

defineMockOutputs("tls:index/privateKey:PrivateKey", (a) => ({
  privateKeyPem: `-----BEGIN RSA PRIVATE KEY-----\n${fakeAlnum(a.name, 64)}\n-----END RSA PRIVATE KEY-----\n`,
  publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${fakeAlnum(`${a.name}/pub`, 64)}\n-----END PUBLIC KEY-----\n`,
}));

defineMockOutputs("tls:index/selfSignedCert:SelfSignedCert", (a) => ({
  certPem: `-----BEGIN CERTIFICATE-----\n${fakeAlnum(a.name, 64)}\n-----END CERTIFICATE-----\n`,
  // As the provider sets them at creation (terraform-provider-tls common_cert.go): now + validityPeriodHours.
  validityStartTime: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
  validityEndTime: new Date(Math.floor(Date.now() / 1000) * 1000 + Number(a.inputs.validityPeriodHours ?? 0) * 3_600_000).toISOString().replace(/\.\d+Z$/, "Z"),
}));

defineMockOutputs("kubernetes:helm.sh/v3:Release", (a) => ({
  status: { name: a.inputs.name, namespace: a.inputs.namespace, status: "deployed", version: a.inputs.version, revision: 1 },
}));

// Kubernetes objects echo their metadata; give them a uid like the API server would.
defineMockOutputs("kubernetes:core/v1:Namespace", (a) => ({ metadata: { ...a.inputs.metadata, uid: fakeHex(a.name, 32) } }));
