/**
 * Failure domains that name a cloud region, `<provider>:<region>` (what backups register:
 * "azure:westeurope", "aws:eu-central-1"). Pure; shared by the config check of
 * `harbor.failureDomain` and the policy's failure-domain rule.
 */
import { ALIBABA_CR_REGIONS } from "./alibaba";
import { AWS_ECR_REGIONS } from "./aws";
import { AZURE_REGION_LIST } from "./azure";
import { GAR_LOCATION_LIST } from "./gcp";
import { ICR_REGION_LIST } from "./ibm";

/** Region names per provider prefix, from the cited lists in this folder. */
export const CLOUD_DOMAIN_REGIONS: Readonly<Record<string, readonly string[]>> = {
  aws: AWS_ECR_REGIONS,
  azure: AZURE_REGION_LIST.names,
  gcp: GAR_LOCATION_LIST.names,
  alibaba: ALIBABA_CR_REGIONS,
  ibm: ICR_REGION_LIST.names,
};

export interface CloudDomain {
  provider: string;
  region: string;
}

/** `aws:eu-central-1` -> { provider: "aws", region: "eu-central-1" }; anything else (a site name) -> undefined. */
export function parseCloudDomain(domain: string): CloudDomain | undefined {
  const m = /^([a-z]+):([a-z0-9-]+)$/.exec(domain.trim().toLowerCase());
  if (!m || !(m[1]! in CLOUD_DOMAIN_REGIONS)) return undefined;
  return { provider: m[1]!, region: m[2]! };
}

/** Two failure domains fail together: the same name, or the same region of the same cloud. */
export function sameFailureDomain(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseCloudDomain(a);
  const y = parseCloudDomain(b);
  return !!x && !!y && x.provider === y.provider && x.region === y.region;
}
