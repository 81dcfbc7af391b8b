import { ICR_HOSTS } from "../../config/cloud-regions/ibm";
import { defineMockOutputs } from "./registry";
import { fakeAlnum, fakeHex } from "./fake";
import { defineMockCheck, str } from "./refusals";

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

// ---- What IBM Cloud refuses ----

/** The registry API lives on a regional registry host (container-registry-go-sdk GetServiceURLForRegion); icr.io holds no customer namespaces. */
const REGIONAL_HOSTS = new Set<string>(Object.values(ICR_HOSTS));
defineMockCheck(`${IBM}:CrNamespace`, (a) => {
  const url = str(a.inputs.registryApiUrl);
  if (url === undefined) return [];
  // A check must report, never throw: a throw inside the mock monitor is only an unhandled rejection.
  const host = URL.canParse(url) ? new URL(url).host : undefined;
  if (host === undefined) return [`registryApiUrl ${JSON.stringify(url)} is not a URL`];
  return REGIONAL_HOSTS.has(host) ? [] : [`registryApiUrl ${url} is not a regional IBM Cloud Container Registry (${[...REGIONAL_HOSTS].join(", ")})`];
});
