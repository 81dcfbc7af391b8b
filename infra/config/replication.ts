import { z } from "zod";
import { harborCronProblem } from "../../components/harbor/api/cron";
import { MAX_SPEED_KBPS } from "./harbor";

/** doublestar pattern as Harbor's name/tag filters take it: * ** ? {a,b}. */
const pattern = z.string().min(1).regex(/^[A-Za-z0-9._\-/*?{},]+$/, "expected a doublestar pattern such as app-*, **, v{1,2}.*");

export const replicationSchema = z
  .strictObject({
    trigger: z.enum(["event_based", "scheduled"]).default("event_based"),
    /** Harbor cron (6 fields, seconds first), required when trigger is scheduled. */
    cron: z.string().optional(),
    /** Replicate deletions to backups (off: a backup keeps what Harbor lost). */
    deletion: z.boolean().default(false),
    /** Overwrite an artifact of the same name at the destination. */
    override: z.boolean().default(true),
    enabled: z.boolean().default(true),
    /** Repository name filter inside each replicated project ("**" = all). */
    repositoryFilter: pattern.default("**"),
    tagFilter: z
      .strictObject({ pattern, decoration: z.enum(["matches", "excludes"]).default("matches") })
      .optional(),
    /** Per-task bandwidth cap in Kbit/s; 0 = unlimited. */
    speedLimitKbps: z.number().int().min(0).max(MAX_SPEED_KBPS).default(0),
    /** Start one execution when a policy is created, so images older than the rule are copied. */
    backfill: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if (v.trigger === "scheduled") {
      if (!v.cron) {
        ctx.addIssue({ code: "custom", path: ["cron"], message: "expected a Harbor cron such as \"0 0 */6 * * *\" because trigger is scheduled" });
      } else {
        const problem = harborCronProblem(v.cron);
        if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: `invalid Harbor cron: ${problem}` });
      }
    } else if (v.cron) {
      ctx.addIssue({ code: "custom", path: ["cron"], message: "cron only applies when trigger is scheduled; remove it or set trigger: scheduled" });
    }
  });

export type ReplicationConfig = z.infer<typeof replicationSchema>;

export const REPLICATION_DEFAULTS: ReplicationConfig = replicationSchema.parse({});
