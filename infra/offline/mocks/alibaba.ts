import { defineMockInvoke, defineMockOutputs } from "./registry";
import { fakeAlnum } from "./fake";

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
