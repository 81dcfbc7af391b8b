import { defineMockOutputs } from "./registry";
import { fakeAlnum, fakeHex } from "./fake";

// Region mirror delivery objects: the API server echoes metadata and adds a uid; a DaemonSet
// reports a status like a fresh rollout on zero matching nodes.
for (const type of ["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret"]) {
  defineMockOutputs(type, (a) => ({ metadata: { ...(a.inputs.metadata as object), uid: fakeHex(`${type}/${a.name}`, 32) } }));
}
defineMockOutputs("kubernetes:apps/v1:DaemonSet", (a) => ({
  metadata: { ...(a.inputs.metadata as object), uid: fakeHex(`daemonset/${a.name}`, 32), generation: 1 },
  status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, observedGeneration: 1 },
}));

// Region mirror PKI (components/mirrors/pki.ts): deterministic stand-in PEMs, like the other tls mocks.
defineMockOutputs("tls:index/certRequest:CertRequest", (a) => ({
  certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${fakeAlnum(`csr/${a.name}`, 64)}\n-----END CERTIFICATE REQUEST-----\n`,
}));
// Validity as the provider sets it at creation: from now, for validityPeriodHours (RFC 3339, no
// fraction; terraform-provider-tls internal/provider/common_cert.go createCertificate).
export const mockValidity = (hours: unknown): { validityStartTime: string; validityEndTime: string } => {
  const start = Math.floor(Date.now() / 1000) * 1000;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
  return { validityStartTime: iso(start), validityEndTime: iso(start + Number(hours ?? 0) * 3_600_000) };
};
defineMockOutputs("tls:index/locallySignedCert:LocallySignedCert", (a) => ({
  certPem: `-----BEGIN CERTIFICATE-----\n${fakeAlnum(`cert/${a.name}`, 64)}\n-----END CERTIFICATE-----\n`,
  readyForRenewal: false,
  ...mockValidity(a.inputs.validityPeriodHours),
}));
