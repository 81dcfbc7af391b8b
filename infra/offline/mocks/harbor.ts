import { fakeAlnum, fakeHex } from "./fake";
import { defineMockOutputs } from "./registry";

// Harbor dynamic resources: ids and generated values as Harbor would return them, stable per name.
const id = (seed: string) => (parseInt(fakeHex(seed, 6), 16) % 9000) + 1;

defineMockOutputs("pulumi-nodejs:dynamic/harbor:Project", (a) => ({ projectId: id(`project/${a.name}`) }));

defineMockOutputs("pulumi-nodejs:dynamic/harbor:RegistryEndpoint", (a) => ({
  registryId: id(`registry/${a.name}`),
  accessSecretHash: `scrypt:${fakeHex(`${a.name}/salt`, 32)}:${fakeHex(`${a.name}/hash`, 64)}`,
}));

defineMockOutputs("pulumi-nodejs:dynamic/harbor:ReplicationPolicy", (a) => ({
  policyId: id(`policy/${a.name}`),
  backfillExecutionId: a.inputs.backfill === true ? id(`execution/${a.name}`) : 0,
  backfillStatus: a.inputs.backfill === true ? "Succeed" : "NotRequested",
  backfillStatusText: "",
}));

defineMockOutputs("pulumi-nodejs:dynamic/harbor:RobotAccount", (a) => ({
  robotId: id(`robot/${a.name}`),
  robotName: `robot$${String(a.inputs.name)}`,
  secret: fakeAlnum(`robot/${a.name}/secret`, 32),
}));
