import type * as pulumi from "@pulumi/pulumi";
import { HarborRegistryEndpoint } from "../../components/harbor/api/endpoint";
import { ReplicationPolicy } from "../../components/harbor/api/policy";
import { HarborProject } from "../../components/harbor/api/project";
import { RobotAccount } from "../../components/harbor/api/robot";

/** Marker credentials: a serialized provider text must never contain them. */
export const PROBE_PASSWORD = "probe-admin-Password-7f3a";
export const PROBE_SECRET = "probe-access-Secret-91bd";

/** One resource of each Harbor dynamic type, so their providers get serialized. */
export function buildProbeResources(): pulumi.CustomResource[] {
  const conn = { harborUrl: "https://harbor.probe.invalid", harborUsername: "admin", harborPassword: PROBE_PASSWORD };
  return [
    new HarborProject("probe-project", { ...conn, name: "apps" }),
    new HarborRegistryEndpoint("probe-endpoint", { ...conn, name: "probe", type: "docker-registry", url: "https://reg.probe.invalid", accessKey: "k", accessSecret: PROBE_SECRET }),
    new ReplicationPolicy("probe-policy", {
      ...conn, name: "probe-apps", destinationRegistryId: 1, destinationRegistryName: "probe", projectName: "apps",
      destinationNamespace: "", destinationNamespaceReplaceCount: 0, trigger: "event_based", filters: { name: "apps/**" },
      deletion: false, override: true, enabled: true, speedKbps: 0, backfill: true,
    }),
    new RobotAccount("probe-robot", { ...conn, name: "probe", projects: ["apps"] }),
  ];
}
