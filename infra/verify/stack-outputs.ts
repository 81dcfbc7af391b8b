import { z } from "zod";
import type { VerifyInput } from "./types";

const credential = z.object({ username: z.string(), password: z.string() });

/** The part of `pulumi stack output --json --show-secrets` that verification reads. */
const outputsSchema = z.object({
  environment: z.string().optional(),
  harborUrl: z.string().url(),
  harborAdminUsername: z.string(),
  harborAdminPassword: z.string(),
  harborProjects: z.array(z.string()).min(1),
  registries: z.array(
    z.object({
      name: z.string(),
      kind: z.string(),
      host: z.string(),
      pathPrefix: z.string(),
      url: z.string(),
      keepsProjectPath: z.boolean().default(true),
      tokenMint: z
        .discriminatedUnion("kind", [
          z.object({ kind: z.literal("ecr"), region: z.string(), registryId: z.string() }),
          z.object({ kind: z.literal("alibaba"), region: z.string(), instanceId: z.string().optional() }),
        ])
        .optional(),
    }),
  ),
  registryCredentials: z.record(z.string(), z.object({ push: credential, pull: credential.optional() })).default({}),
});

export class OutputsError extends Error {}

export interface OutputsOptions {
  /** Read a backup that has no pull identity with its push identity (said so in the report). */
  readWithPush?: boolean;
}

/**
 * Turn the stack outputs into what verification needs. Backups are read with their pull-only
 * identity; the push identity is kept for --repair only. Harbor is read with its admin
 * credential (its catalog API needs system access).
 */
export function verifyInputFromOutputs(json: unknown, options: OutputsOptions = {}): VerifyInput {
  if (typeof json === "object" && json !== null && (json as Record<string, unknown>).harborAdminPassword === "[secret]") {
    throw new OutputsError("the stack outputs hold [secret] placeholders: run `npx pulumi stack output --json --show-secrets`");
  }
  const parsed = outputsSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(outputs)"}: ${i.message}`);
    throw new OutputsError(`the stack outputs are not what verification expects:\n  - ${problems.join("\n  - ")}\nPass the JSON of \`npx pulumi stack output --json --show-secrets\`.`);
  }
  const o = parsed.data;
  const scheme = (url: string) => (url.startsWith("http://") ? "http" : "https");
  return {
    source: {
      name: "harbor",
      baseUrl: o.harborUrl.replace(/\/+$/, ""),
      username: o.harborAdminUsername,
      password: o.harborAdminPassword,
      projects: o.harborProjects,
    },
    backups: o.registries
      .filter((r) => r.kind !== "harbor")
      .map((r) => {
        const creds = o.registryCredentials[r.name];
        // Never a silent fallback: the push identity reads only when asked for.
        const read = creds?.pull ?? (options.readWithPush ? creds?.push : undefined);
        return {
          name: r.name,
          readIdentity: creds?.pull ? "pull" : read ? "push" : "none",
          baseUrl: `${scheme(r.url)}://${r.host}`,
          pathPrefix: r.pathPrefix,
          keepsProjectPath: r.keepsProjectPath,
          username: read?.username,
          password: read?.password,
          pushUsername: creds?.push.username,
          pushPassword: creds?.push.password,
          ...(r.tokenMint ? { tokenMint: r.tokenMint } : {}),
        };
      }),
  };
}
