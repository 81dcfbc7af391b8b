/**
 * Example values in a stack's config: IDs of things that must already exist (tenant, subscription,
 * GCP project, IBM account and resource group, resource groups, the Alibaba Enterprise instance)
 * that still hold the placeholders this repository ships. Deploying with them sends every call to
 * an account that does not exist, or overrides what CI sets (ARM_*, GOOGLE_*, IC_API_KEY).
 * Pure: reads the engine's config map (full key -> string, JSON for structured values).
 */

export interface ExampleValue {
  /** Config path as `pulumi config set --path` takes it: `azuread:tenantId`, `backups[1].accountId`. */
  key: string;
  value: string;
  /** What the value should be, and the command that fixes it. */
  fix: string;
}

/** The marker every shipped example name carries (RFC 2606 reserves "example" for this). */
const EXAMPLE_WORD = /(^|[^a-z])example([^a-z]|$)/i;

/**
 * Account ids AWS's own documentation uses as examples (IAM User Guide and ECR User Guide use
 * 123456789012, 111122223333, 444455556666, 777788889999): copied from a page, they name a stranger's
 * account or none. (All-same-digit ids are caught by the rule below.)
 */
const AWS_EXAMPLE_ACCOUNT_IDS = ["123456789012", "111122223333", "444455556666", "777788889999", "210987654321"];

/**
 * A placeholder ID: contains the word "example", or its hex digits are all the same
 * (00000000-0000-...) or count up (0123456789abcdef...).
 */
export function isExampleValue(value: string): boolean {
  if (EXAMPLE_WORD.test(value)) return true;
  if (AWS_EXAMPLE_ACCOUNT_IDS.includes(value)) return true;
  const hex = value.toLowerCase().replace(/^cri-/, "").replace(/-/g, "");
  if (!/^[0-9a-f]{8,}$/.test(hex)) return false;
  if (/^(.)\1+$/.test(hex)) return true;
  const digits = "0123456789abcdef";
  return [...hex].every((c, i) => i === 0 || digits.indexOf(c) === (digits.indexOf(hex[i - 1]!) + 1) % 16);
}

/** Provider-level IDs: better left to the environment (ARM_*, GOOGLE_*), as CI sets them. */
const PROVIDER_KEYS: Record<string, string> = {
  "azuread:tenantId": "ARM_TENANT_ID",
  "azuread:clientId": "ARM_CLIENT_ID",
  "azure-native:tenantId": "ARM_TENANT_ID",
  "azure-native:subscriptionId": "ARM_SUBSCRIPTION_ID",
  "azure-native:clientId": "ARM_CLIENT_ID",
  "gcp:project": "GOOGLE_PROJECT",
  "alicloud:accountId": "",
};

/** Backup fields that name something that must exist before the deploy, per kind. */
const BACKUP_FIELDS: Record<string, Record<string, string>> = {
  acr: { resourceGroupName: "the name of an existing Azure resource group" },
  gar: { project: "the id of an existing Google Cloud project" },
  icr: { accountId: "your 32-character IBM Cloud account id", resourceGroupId: "the id of an existing IBM Cloud resource group" },
  ecr: { accountId: "your 12-digit AWS account id" },
  alibaba: { instanceId: "the id of your ACR Enterprise Edition instance (cri-...)", instanceName: "the name of that Enterprise Edition instance" },
};

/** Archive fields that name something that must exist before the deploy, per store kind. */
const ARCHIVE_FIELDS: Record<string, Record<string, string>> = {
  azure: { resourceGroupName: "the name of an existing Azure resource group" },
  gcs: { project: "the id of an existing Google Cloud project" },
};

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Every example value in `config` (full key -> engine string), in a stable order. */
export function findExampleValues(config: Record<string, string>, stack: string, project = "registry-topology"): ExampleValue[] {
  const found: ExampleValue[] = [];
  for (const [key, envVar] of Object.entries(PROVIDER_KEYS)) {
    const value = config[key];
    if (value === undefined || !isExampleValue(value)) continue;
    const viaEnv = envVar ? `npx pulumi config rm ${key} --stack ${stack}, and set ${envVar} in the environment (as CI does); or ` : "";
    found.push({ key, value, fix: `${viaEnv}npx pulumi config set ${key} <real value> --stack ${stack}` });
  }
  for (const [list, fields] of [["backups", BACKUP_FIELDS], ["archives", ARCHIVE_FIELDS]] as const) {
    const entries = parse(config[`${project}:${list}`]);
    if (!Array.isArray(entries)) continue;
    entries.forEach((b: unknown, i) => {
      if (b === null || typeof b !== "object") return;
      const rec = b as Record<string, unknown>;
      for (const [field, what] of Object.entries(fields[String(rec.kind)] ?? {})) {
        const value = rec[field];
        if (typeof value !== "string" || !isExampleValue(value)) continue;
        const key = `${list}[${i}].${field}`;
        found.push({ key, value, fix: `set ${what}: npx pulumi config set --path '${key}' <value> --stack ${stack}` });
      }
    });
  }
  return found;
}

/** Thrown before any resource is registered when a stack still holds example values. */
export class ExampleValueError extends Error {
  constructor(
    readonly stackName: string,
    readonly examples: ExampleValue[],
  ) {
    super(
      `Stack ${stackName} still holds ${examples.length} example value${examples.length === 1 ? "" : "s"} shipped with this repository; ` +
        `replace ${examples.length === 1 ? "it" : "them"} before deploying:\n` +
        examples.map((e) => `  - ${e.key} = ${e.value}: ${e.fix}`).join("\n") +
        "\n(`npm run render` keeps working with example values; see docs/backups.md, section Before the first deploy.)",
    );
    this.name = "ExampleValueError";
  }
}

export function assertNoExampleValues(config: Record<string, string>, stack: string, project?: string): void {
  const examples = findExampleValues(config, stack, project);
  if (examples.length > 0) throw new ExampleValueError(stack, examples);
}
