// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../infra/config";
import { plaintextCredentialPaths } from "../infra/offline/secretLeaves";
import { readProjectConfig, REPO_ROOT, stackConfigFromDocument } from "../infra/offline/stackFiles";
import { renderStack } from "./helpers/render";

const PLAIN = "Plain-Text-Pass-4821";

/** Two backups: the first password `secure:`, the second in plain text. The key holds a secret. */
function mixedStack(): string {
  return `config:
  registry-topology:environment: staging
  registry-topology:harbor:
    hostname: harbor.mixed.example.com
    expose:
      type: ingress
      className: nginx
      tlsSecretName: harbor-tls
    projects:
      - name: library
  registry-topology:backups:
    - name: nas-a
      kind: oci
      url: https://nas-a.example.net
      failureDomain: dc-a
      push:
        username: harbor-push
        password:
          secure: v1:AAAAAAAAAAAAAAAA:fixture-not-a-real-ciphertext
    - name: nas-b
      kind: oci
      url: https://nas-b.example.net
      failureDomain: dc-b
      push:
        username: harbor-push
        password: ${PLAIN}
`;
}

const FIX = "npx pulumi config set --secret --path 'backups[1].push.password' <value> --stack mixed";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "secret-leaves-"));
  fs.writeFileSync(path.join(dir, "Pulumi.mixed.yaml"), mixedStack());
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("credential leaves must each be secure:", () => {
  it("finds the plain leaf under a key that holds a secret", async () => {
    const { parse } = await import("yaml");
    const sc = stackConfigFromDocument("mixed", parse(mixedStack()) as Record<string, unknown>, readProjectConfig());
    expect(sc.secretKeys).toContain("registry-topology:backups"); // what the program sees under the CLI
    expect(plaintextCredentialPaths(sc)).toEqual(["backups[1].push.password"]);
    // Every leaf secure: nothing to report.
    expect(plaintextCredentialPaths({ ...sc, secretPaths: [...sc.secretPaths, "backups[1].push.password"] })).toEqual([]);
  });

  it("render refuses it, naming the key and the exact fix, without the value", async () => {
    const err = await renderStack(path.join(dir, "Pulumi.mixed.yaml")).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain("backups[1].push.password");
    expect(msg).toContain(FIX);
    expect(msg).not.toContain("backups[0].push.password");
    expect(msg).not.toContain(PLAIN);
  });

  it("a whole key in plain text is reported once per leaf", async () => {
    const text = mixedStack().replace(/password:\n\s+secure: [^\n]+/, "password: also-plain-7781");
    const file = path.join(dir, "Pulumi.plain.yaml");
    fs.writeFileSync(file, text);
    const msg = await renderStack(file).then(() => "", (e: Error) => e.message);
    expect(msg.match(/backups\[0\]\.push\.password:/g)).toHaveLength(1);
    expect(msg.match(/backups\[1\]\.push\.password:/g)).toHaveLength(1);
    expect(msg).not.toContain("also-plain-7781");
  });

  it("npm run up refuses it before the CLI runs", async () => {
    // up takes a stack name (stacks/Pulumi.<name>.yaml): run the real up-cli from a copy of the
    // project whose stacks/ holds the mixed stack; the launcher must never be reached.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "secret-leaves-up-"));
    try {
      for (const d of ["infra", "components", "stacks"]) fs.cpSync(path.join(REPO_ROOT, d), path.join(copy, d), { recursive: true });
      for (const f of ["Pulumi.yaml", "package.json", "tsconfig.json"]) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(copy, f));
      fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"));
      fs.writeFileSync(path.join(copy, "stacks", "Pulumi.mixed.yaml"), mixedStack());
      const r = await new Promise<{ code: number; out: string }>((resolve) => {
        execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "infra/offline/up-cli.ts", "--stack", "mixed"], { cwd: copy, timeout: 300_000, env: { PATH: process.env.PATH ?? "", HOME: copy } }, (err, stdout, stderr) => {
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
        });
      });
      expect(r.code).toBe(1);
      expect(r.out).toContain(FIX);
      expect(r.out).not.toContain(PLAIN);
      expect(r.out).not.toContain("Using the local file backend");
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }, 300_000);
});
