import { z } from "zod";
import { regionProblem, type RegionList } from "./closest";

/**
 * Region checks against the real lists (infra/config/cloud-regions/*.ts, each citing its source),
 * with the closest name as a hint and `allowUnlistedRegion` for a region newer than the list.
 * Shared by every key that names a cloud region (backups and archives).
 */
export function checkRegion(ctx: z.RefinementCtx, path: (string | number)[], value: string, list: RegionList, allowUnlisted: boolean): void {
  if (allowUnlisted) return;
  const problem = regionProblem(value, list, "allowUnlistedRegion");
  if (problem) ctx.addIssue({ code: "custom", path, message: problem });
}

/** Accept a region missing from the lists (one newer than the list); the cloud still checks it at apply. */
export const allowUnlistedRegion = z.boolean().default(false);
