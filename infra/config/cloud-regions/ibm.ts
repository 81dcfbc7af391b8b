import { regionProblem, type RegionList } from "./closest";

// The host table belongs to the component that builds the registry URL; validation reads it.
import { ICR_HOSTS } from "../../../components/backups/icr/hosts";

export { ICR_HOSTS, type IcrRegion } from "../../../components/backups/icr/hosts";

export const ICR_REGION_LIST: RegionList = {
  label: "IBM Cloud Container Registry region",
  names: Object.keys(ICR_HOSTS),
  source: "components/backups/icr/hosts.ts (IBM container-registry-go-sdk v1.4.0, 2026-11-30)",
};

/** Why `region` cannot hold a backup namespace, or undefined when it can. */
export function icrRegionProblem(region: string): string | undefined {
  if (region === "global") {
    return `IBM's global registry (icr.io) holds only IBM-provided public images; namespaces live in a regional registry: use one of ${ICR_REGION_LIST.names.join(", ")}`;
  }
  // No escape hatch: a new region also needs its host, which only a new list entry gives.
  return regionProblem(region, ICR_REGION_LIST);
}
