/**
 * What the in-cluster refresher is told (settings.json in its ConfigMap; no secret in it): where
 * it writes, how often it runs, and per backup how to mint. Static keys are files of the mounted
 * credentials Secret (`<key>.id`, `<key>.secret`), read at every mint so a rotated key is used
 * without a restart. Validated with zod at start: a bad file stops the refresher with the field.
 */
import * as z from "zod";

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a DNS label");
/** Writer keys are [a-z0-9]+ (writer.sh load_sources). */
const key = z.string().regex(/^[a-z0-9]+$/, "lower-case letters and digits");

const common = { backup: name, key, endpoint: z.url().optional() };

export const refresherTargetSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    ...common,
    kind: z.literal("ecr"),
    region: z.string().min(1),
    registryId: z.string().regex(/^\d{12}$/, "a 12-digit AWS account id"),
    /** accessKey: the credentials Secret's files; irsa / podIdentity: the SDK's default chain. */
    identity: z.enum(["accessKey", "irsa", "podIdentity"]),
  }),
  // No instanceId: Personal Edition.
  z.strictObject({ ...common, kind: z.literal("alibaba"), region: z.string().min(1), instanceId: z.string().min(1).optional() }),
]);

export const refresherSettingsSchema = z.strictObject({
  store: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("secret"), namespace: name, name: z.string().min(1) }),
    z.strictObject({ kind: z.literal("directory"), path: z.string().min(1) }),
  ]),
  /** Directory of the credentials Secret (`<key>.id`, `<key>.secret`). */
  credentialsDir: z.string().min(1),
  intervalSeconds: z.number().int().min(1).max(3600),
  targets: z.array(refresherTargetSchema).min(1),
});

export type RefresherTarget = z.infer<typeof refresherTargetSchema>;
export type RefresherSettings = z.infer<typeof refresherSettingsSchema>;

export function parseRefresherSettings(text: string, source: string): RefresherSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON: ${(e as Error).message}`, { cause: e });
  }
  const r = refresherSettingsSchema.safeParse(raw);
  if (!r.success) throw new Error(`${source}: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  const keys = new Set<string>();
  for (const t of r.data.targets) {
    if (keys.has(t.key)) throw new Error(`${source}: targets: key ${t.key} is used twice`);
    keys.add(t.key);
  }
  return r.data;
}
