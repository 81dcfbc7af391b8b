import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildPins, changeCount, plaintextHits, secretValues } from "./engine/e2e";

const ROOT = path.resolve(__dirname, "..");

describe("engine rig pins", () => {
  const pins = buildPins();
  it("the CLI built is the one package.json's `pulumi` launcher runs for users", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.devDependencies.pulumi).toBe(pins.PULUMI_VERSION);
  });
  it("the workflows run that same CLI version", () => {
    const wf = readFileSync(path.join(ROOT, ".github", "workflows", "pulumi-stack.yml"), "utf8");
    const versions = [...wf.matchAll(/pulumi-version:\s*(\S+)/g)].map((m) => m[1]);
    expect(versions.length).toBeGreaterThan(0);
    for (const v of versions) expect(v).toBe(pins.PULUMI_VERSION);
  });
  it("build.sh's pins match the go.mod files", () => {
    const mod = (d: string) => readFileSync(path.join(ROOT, "test", "engine", "go", d, "go.mod"), "utf8");
    expect(mod("cli")).toContain(`github.com/pulumi/pulumi/pkg/v3 v${pins.PULUMI_VERSION}`);
    expect(mod("cli")).toContain(`github.com/pulumi/pulumi/sdk/v3 v${pins.PULUMI_VERSION}`);
    expect(mod("kubernetes")).toContain(`github.com/pulumi/pulumi-kubernetes/sdk/v4 v${pins.K8S_PROVIDER_VERSION}`);
    expect(mod("kube")).toContain(`k8s.io/kubernetes v${pins.KUBE_VERSION}`);
    expect(mod("etcd")).toContain(`go.etcd.io/etcd/server/v3 v${pins.ETCD_VERSION}`);
    expect(mod("kwok")).toContain(`sigs.k8s.io/kwok v${pins.KWOK_VERSION}`);
  });
  it("every staging module of k8s.io/kubernetes is replaced by its release at the matching v0 version", () => {
    const mod = readFileSync(path.join(ROOT, "test", "engine", "go", "kube", "go.mod"), "utf8");
    const minor = pins.KUBE_VERSION!.replace(/^1\./, "0.");
    const replaces = [...mod.matchAll(/^\s+(k8s\.io\/\S+) => (\S+) (\S+)$/gm)];
    expect(replaces.length).toBeGreaterThan(25);
    for (const [, from, to, ver] of replaces) {
      expect(to).toBe(from);
      expect(ver).toBe(`v${minor}`);
    }
  });
});

describe("changeCount reads the CLI's Resources summary", () => {
  it("sums every kind of change and ignores unchanged", () => {
    expect(changeCount("...\nResources:\n    + 3 to create\n    ~ 1 to update\n    +-2 to replace\n    40 unchanged\n\nDuration: 3s\n")).toBe(6);
    expect(changeCount("Outputs: ...\nResources:\n    ~ 1 updated\n    - 2 deleted\n    47 unchanged\n\nDuration: 1m2s\n")).toBe(3);
    expect(changeCount("Resources:\n    48 unchanged\n\nDuration: 10s\n")).toBe(0);
  });
});

describe("the state secret check", () => {
  const sig = "4dabf18193072939515e22adb298388d";
  const secret = (v: unknown) => ({ [sig]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
  it("collects secret strings and Kubernetes Secret data of an export with --show-secrets", () => {
    const dep = {
      resources: [
        { type: "random:index/randomPassword:RandomPassword", outputs: { result: secret("Pa55word-abcdef"), plain: "not-a-secret-value" } },
        { type: "kubernetes:core/v1:Secret", outputs: { data: secret({ CSRF_KEY: Buffer.from("csrf-key-material-1").toString("base64") }), stringData: secret({ token: "string-data-token" }) } },
      ],
    };
    expect(secretValues(dep).sort()).toEqual(["Pa55word-abcdef", Buffer.from("csrf-key-material-1").toString("base64"), "csrf-key-material-1", "string-data-token"].sort());
  });
  it("leaves out certificates (public) but keeps private keys, also when a Secret holds both", () => {
    const cert = "-----BEGIN CERTIFICATE-----\nMIIBpublicpart\n-----END CERTIFICATE-----\n";
    const key = "-----BEGIN EC PRIVATE KEY-----\nMHcprivatepart\n-----END EC PRIVATE KEY-----\n";
    const b64 = (v: string) => Buffer.from(v).toString("base64");
    const dep = { resources: [{ type: "kubernetes:core/v1:Secret", outputs: { data: secret({ "tls.crt": b64(cert), "tls.key": b64(key) }) } }] };
    const found = secretValues(dep);
    expect(found).toContain(key);
    expect(found).not.toContain(cert);
    expect(found).not.toContain(b64(cert));
  });
  it("does not count the plain settings of a secret-wrapped object (a Helm release's values) as secrets, only secret strings nested in it", () => {
    const dep = { resources: [{ type: "kubernetes:helm.sh/v3:Release", outputs: { values: secret({ updateStrategy: { type: "Recreate" }, externalURL: "http://127.0.0.1:8080", harborAdminPassword: secret("nested-admin-pw") }) } }] };
    expect(secretValues(dep)).toEqual(["nested-admin-pw"]);
  });
  it("finds a value in clear, JSON-escaped, base64-encoded or as a PEM line, and nothing in ciphertext", () => {
    const pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIGtestkeymaterialAAAAAAAAAAAAAAAAAAAAAAAAAAAoAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n";
    expect(plaintextHits('{"v":"Pa55word-abcdef"}', ["Pa55word-abcdef"])).toHaveLength(1);
    expect(plaintextHits(JSON.stringify({ k: pem }), [pem])).toHaveLength(1);
    expect(plaintextHits(`{"data":"${Buffer.from("Pa55word-abcdef").toString("base64")}"}`, ["Pa55word-abcdef"])).toHaveLength(1);
    expect(plaintextHits('{"ciphertext":"v1:abcd:efgh"}', ["Pa55word-abcdef", pem])).toHaveLength(0);
  });
});
