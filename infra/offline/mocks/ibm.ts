import { defineMockOutputs } from "./registry";
import { fakeAlnum, fakeHex } from "./fake";

const IBM = "pulumi-nodejs:dynamic/ibm";

defineMockOutputs(`${IBM}:CrNamespace`, (a) => ({
  crn: `crn:v1:bluemix:public:container-registry:global:a/${String(a.inputs.accountId)}::namespace:${String(a.inputs.name)}`,
}));

defineMockOutputs(`${IBM}:ServiceId`, (a) => {
  const id = `ServiceId-${fakeHex(`sid/${a.name}`, 8)}-${fakeHex(`sid2/${a.name}`, 4)}-${fakeHex(`sid3/${a.name}`, 4)}-${fakeHex(`sid4/${a.name}`, 12)}`;
  return { iamId: `iam-${id}`, crn: `crn:v1:bluemix:public:iam-identity::a/${String(a.inputs.accountId)}::serviceid:${id}`, entityTag: "1-0" };
});

// IBM Cloud API keys are 44 characters.
defineMockOutputs(`${IBM}:ServiceIdApiKey`, (a) => ({ apikey: fakeAlnum(`ibm-apikey/${a.name}`, 44) }));

defineMockOutputs(`${IBM}:AccessPolicy`, (a) => ({ policyId: `${fakeHex(`pol/${a.name}`, 8)}-${fakeHex(`pol2/${a.name}`, 4)}-4${fakeHex(`pol3/${a.name}`, 3)}-a${fakeHex(`pol4/${a.name}`, 3)}-${fakeHex(`pol5/${a.name}`, 12)}` }));
