/**
 * What `npm run restore` and the archive checks of `npm run verify` read from
 * `pulumi stack output --json --show-secrets`: each archive's rclone path and the rclone
 * environment of its job identity (add and read only: a restore can never damage the archive),
 * plus registry credentials to push with.
 */
import { z } from "zod";
import { outputsSource, readOutputs } from "../verify/read-outputs";
import { OutputsError } from "../verify/stack-outputs";
import type { StoreLocation } from "./store";

const credential = z.object({ username: z.string(), password: z.string() });

const outputsSchema = z.object({
  harborUrl: z.string().optional(),
  harborAdminUsername: z.string().optional(),
  harborAdminPassword: z.string().optional(),
  registries: z.array(z.object({ name: z.string(), kind: z.string(), host: z.string() })).default([]),
  registryCredentials: z.record(z.string(), z.object({ push: credential, pull: credential.optional() })).default({}),
  archives: z.array(z.object({ name: z.string(), kind: z.string(), path: z.string(), projects: z.array(z.string()).default([]), schedule: z.string().optional() })).default([]),
  archiveCredentials: z.record(z.string(), z.record(z.string(), z.string())).default({}),
});

export type ArchiveOutputs = z.infer<typeof outputsSchema>;

/** The outputs text for --stack / --outputs, read as `npm run verify` reads them. */
export function readOutputsText(stack: string | undefined, file: string | undefined): string {
  const source = outputsSource(stack, file, Boolean(process.stdin.isTTY));
  if (!source) throw new OutputsError("give --stack NAME, --outputs FILE, or pipe `npx pulumi stack output --json --show-secrets` in");
  return readOutputs(source, "restore");
}

export function parseArchiveOutputs(text: string): ArchiveOutputs {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse errors quote the input, which holds secrets: say only what is wrong.
    throw new OutputsError("the stack outputs are not valid JSON; pass `npx pulumi stack output --json --show-secrets`");
  }
  return archiveOutputsFrom(json);
}

/** The archive part of already-parsed stack outputs (absent keys: no archives). */
export function archiveOutputsFrom(json: unknown): ArchiveOutputs {
  if (typeof json === "object" && json !== null && (json as Record<string, unknown>).archiveCredentials === "[secret]") {
    throw new OutputsError("the stack outputs hold [secret] placeholders: run `npx pulumi stack output --json --show-secrets`");
  }
  const parsed = outputsSchema.safeParse(json);
  if (!parsed.success) {
    throw new OutputsError(`the stack outputs are not what restore expects:\n  - ${parsed.error.issues.map((i) => `${i.path.join(".") || "(outputs)"}: ${i.message}`).join("\n  - ")}`);
  }
  return parsed.data;
}

/** Where archive `name` is and how to read it. */
export function archiveLocation(o: ArchiveOutputs, name: string): StoreLocation {
  const a = o.archives.find((x) => x.name === name);
  if (!a) throw new OutputsError(`no archive "${name}" in the stack outputs (archives: ${o.archives.map((x) => x.name).join(", ") || "none"})`);
  const env = o.archiveCredentials[name];
  if (!env) throw new OutputsError(`archiveCredentials has no entry for "${name}"`);
  return { path: a.path, env };
}

/**
 * Credentials for the registry at `url`: Harbor's admin when it is Harbor, a backup's push identity
 * when it is that backup, else RESTORE_USERNAME/RESTORE_PASSWORD from the environment (or none).
 */
export function pushCredentials(o: ArchiveOutputs, url: string, env: NodeJS.ProcessEnv = process.env): { username?: string; password?: string; source: string } {
  const host = new URL(url).host;
  if (o.harborUrl && new URL(o.harborUrl).host === host && o.harborAdminUsername) {
    return { username: o.harborAdminUsername, password: o.harborAdminPassword, source: "harbor admin (stack outputs)" };
  }
  const backup = o.registries.find((r) => r.host === host && r.kind !== "harbor");
  const creds = backup ? o.registryCredentials[backup.name] : undefined;
  if (backup && creds) return { ...creds.push, source: `${backup.name} push identity (stack outputs)` };
  if (env.RESTORE_USERNAME) return { username: env.RESTORE_USERNAME, password: env.RESTORE_PASSWORD ?? "", source: "RESTORE_USERNAME/RESTORE_PASSWORD" };
  return { source: "anonymous" };
}
