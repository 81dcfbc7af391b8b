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
defineMockOutputs("tls:index/locallySignedCert:LocallySignedCert", (a) => ({
  certPem: `-----BEGIN CERTIFICATE-----\n${fakeAlnum(`cert/${a.name}`, 64)}\n-----END CERTIFICATE-----\n`,
  readyForRenewal: false,
}));
