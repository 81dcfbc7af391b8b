// The published JSON Schema of stack files (schemas/pulumi-stack.schema.json): generated from the
// loader's zod schema, up to date, accepted by every shipped stack and refusing what the loader
// refuses by key. ajv (draft 2020-12) stands in for the YAML language server's validator.
import Ajv2020 from "ajv/dist/2020";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { stackFileJsonSchema } from "../infra/config/json-schema";

const ROOT = path.join(__dirname, "..");
const SCHEMA_FILE = path.join(ROOT, "schemas", "pulumi-stack.schema.json");
const STACKS = readdirSync(path.join(ROOT, "stacks")).filter((f) => /^Pulumi\..+\.yaml$/.test(f));

// zod writes JavaScript regular expressions; the language server, like ajv without the u flag, runs them as such.
const ajv = new Ajv2020({ allErrors: true, strict: false, unicodeRegExp: false });
const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as object);
const load = (f: string): Record<string, unknown> => YAML.parse(readFileSync(path.join(ROOT, "stacks", f), "utf8")) as Record<string, unknown>;
const errorsOf = (doc: unknown): string[] => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`));

describe("schemas/pulumi-stack.schema.json", () => {
  it("is what the config schema generates (run `npm run docs:config` after changing the schema)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(`${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`);
  });

  it.each(STACKS)("accepts the shipped %s, which names it in its modeline", (f) => {
    expect(errorsOf(load(f))).toEqual([]);
    expect(readFileSync(path.join(ROOT, "stacks", f), "utf8").split("\n")[0]).toBe("# yaml-language-server: $schema=../schemas/pulumi-stack.schema.json");
  });

  const mutations: [string, (c: Record<string, unknown>) => void, RegExp][] = [
    ["an unknown key of ours", (c) => { (c["registry-topology:harbor"] as Record<string, unknown>).hostName = "x"; }, /registry-topology:harbor .*additional properties/],
    ["a misspelled top-level key", (c) => { c["registry-topology:backup"] = []; }, /additional properties/],
    ["a wrong type", (c) => { (c["registry-topology:harbor"] as Record<string, unknown>).projects = "library"; }, /projects must be array/],
    ["a value outside its enum", (c) => { c["registry-topology:environment"] = "qa"; }, /environment must be equal to one of the allowed values/],
    ["a missing required key", (c) => { delete (c["registry-topology:harbor"] as Record<string, unknown>).hostname; }, /must have required property 'hostname'/],
    ["a plaintext password", (c) => { c["registry-topology:backups"] = [{ name: "nas", kind: "oci", url: "https://nas.example.net", failureDomain: "site:b", push: { username: "u", password: "plain" } }]; }, /push\/password must be object/],
  ];
  it.each(mutations)("refuses %s", (_, mutate, expected) => {
    const doc = load("Pulumi.local.yaml");
    mutate(doc.config as Record<string, unknown>);
    expect(errorsOf(doc).join("\n")).toMatch(expected);
  });

  it("accepts a secure: credential and other providers' keys", () => {
    const doc = load("Pulumi.local.yaml");
    const c = doc.config as Record<string, unknown>;
    c["registry-topology:backups"] = [{ name: "nas", kind: "oci", url: "https://nas.example.net", failureDomain: "site:b", push: { username: "u", password: { secure: "v1:abc" } } }];
    c["kubernetes:context"] = "kind-regtopo";
    expect(errorsOf(doc)).toEqual([]);
  });
});
