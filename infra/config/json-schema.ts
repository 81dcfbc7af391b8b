// A JSON Schema of the whole stack file (stacks/Pulumi.<stack>.yaml), generated from the zod
// schema the loader validates with, so an editor with the YAML language server checks a stack as
// it is typed (modeline in each stack file, .vscode/settings.json). `npm run docs:config` writes it
// to schemas/pulumi-stack.schema.json; test/config-json-schema.test.ts fails when it is stale.
import { z } from "zod";
import { CREDENTIAL_FIELDS } from "./primitives";
import { CONFIG_NAMESPACE } from "./reference";
import { topologySchema } from "./schema";

type Json = Record<string, unknown>;

/** What `pulumi config set --secret` writes in place of the value. */
const SECURE_VALUE: Json = {
  type: "object",
  description: "An encrypted value: `npx pulumi config set --secret --path '<key path>' <value>` writes it.",
  properties: { secure: { type: "string", minLength: 1 } },
  required: ["secure"],
  additionalProperties: false,
};

/** Credential leaves must be `secure:` values in a stack file (the loader refuses plain text). */
function secureCredentials(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(secureCredentials);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === "properties" && v && typeof v === "object") {
      out[k] = Object.fromEntries(
        Object.entries(v as Json).map(([name, s]) => [name, CREDENTIAL_FIELDS.has(name) ? SECURE_VALUE : secureCredentials(s)]),
      );
    } else out[k] = secureCredentials(v);
  }
  return out;
}

/** The stack file's schema: our keys typed, other providers' keys (`kubernetes:context`) free. */
export function stackFileJsonSchema(): Json {
  const topology = secureCredentials(z.toJSONSchema(topologySchema, { io: "input", unrepresentable: "any", target: "draft-2020-12" })) as Json;
  const props = (topology.properties ?? {}) as Record<string, Json>;
  const config: Json = {
    type: "object",
    properties: Object.fromEntries(Object.entries(props).map(([k, s]) => [`${CONFIG_NAMESPACE}:${k}`, s])),
    required: ((topology.required ?? []) as string[]).map((k) => `${CONFIG_NAMESPACE}:${k}`),
    // Any other namespace is another provider's (kubernetes:context, azure-native:location...);
    // a key of ours that is not listed above is a typo the loader refuses as well.
    patternProperties: { [`^(?!${CONFIG_NAMESPACE}:)[^:]+:.+$`]: {} },
    additionalProperties: false,
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://registry-topology.invalid/schemas/pulumi-stack.schema.json",
    title: "registry-topology stack file (stacks/Pulumi.<stack>.yaml)",
    description: "Generated from infra/config/schema.ts by `npm run docs:config`. The loader checks more across keys (collisions, ports, regions): `npm run render -- --stack <name>`.",
    type: "object",
    properties: {
      config,
      secretsprovider: { type: "string" },
      encryptedkey: { type: "string" },
      encryptionsalt: { type: "string" },
    },
    additionalProperties: false,
  };
}
