import * as pulumi from "@pulumi/pulumi";
import { AccessPolicy, CrNamespace, ServiceId, ServiceIdApiKey } from "../../components/backups/icr/resources";

/** One of each IBM dynamic resource, for serialization checks (values are placeholders). */
export function buildIbmProbeResources(): pulumi.Resource[] {
  const iamUrl = "https://iam.cloud.ibm.com";
  const accountId = "0123456789abcdef0123456789abcdef";
  const ns = new CrNamespace("probe-ns", { iamUrl, registryApiUrl: "https://de.icr.io", accountId, name: "probe-ns" });
  const sid = new ServiceId("probe-sid", { iamUrl, accountId, name: "probe", description: "probe" });
  const key = new ServiceIdApiKey("probe-key", { iamUrl, accountId, iamId: sid.iamId, name: "probe", description: "probe", rotation: "1" });
  const pol = new AccessPolicy("probe-pol", {
    iamUrl, accountId, subjectIamId: sid.iamId, serviceName: "container-registry", region: "eu-de", resourceType: "namespace", resource: ns.name, roles: ["Reader"],
  });
  return [ns, sid, key, pol];
}
