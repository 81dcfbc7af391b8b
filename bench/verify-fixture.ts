// The prod-sized verification fixture shared by the verify and exporter benchmarks: 200 tags of
// one repository in a "Harbor" and two backups (one Basic, one Bearer), real distribution on 127.0.0.1.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { htpasswdLine } from "../components/shared/htpasswd";
import { copyImage } from "../infra/verify/copy";
import { RegistryClient } from "../infra/verify/registry-client";
import type { VerifyInput } from "../infra/verify/types";
import { startDistribution, stopAllDistributions } from "../test/helpers/distribution";
import { buildOciImage, pushImage } from "../test/helpers/oci-image";
import { startTokenServer, tokenAuthConfig } from "../test/helpers/token-server";

export const TAGS = 200;

export interface VerifyFixture {
  input: VerifyInput;
  client(name: "harbor" | "bk1" | "bk2"): RegistryClient;
}

export async function withVerifyFixture(fn: (f: VerifyFixture) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-verify-"));
  const pw = "bench-pw";
  const htpasswd = path.join(dir, "htpasswd");
  // bcrypt cost 4: distribution checks the htpasswd hash on every Basic request; at cost 10 that
  // check, not verification, would dominate the measurement (see the Basic vs Bearer columns).
  fs.writeFileSync(htpasswd, `${htpasswdLine("bench", pw, "benchsaltbenchsaltbenc", 4)}\n`);
  const tokens = await startTokenServer({ dir, users: { bench: { password: pw, actions: ["*"] } } });
  try {
    const basic = { auth: { htpasswd: { realm: "bench", path: htpasswd } } };
    const harbor = await startDistribution({ name: "harbor", dir, config: basic });
    const bk1 = await startDistribution({ name: "bk1", dir, config: basic });
    const bk2 = await startDistribution({ name: "bk2", dir, config: { auth: tokenAuthConfig(tokens, "bk2") } });
    const img = buildOciImage(path.join(dir, "img"), { tag: "t0" });
    await pushImage(img, `${harbor.address}/library/app:t0`, { username: "bench", password: pw });

    // Seed: the same manifest under 200 tags in Harbor and both backups.
    const urls = { harbor: harbor.url, bk1: bk1.url, bk2: bk2.url };
    const client = (name: keyof typeof urls) => new RegistryClient({ name, baseUrl: urls[name], username: "bench", password: pw });
    const src = client("harbor");
    const m = (await src.manifest("library/app", "t0"))!;
    for (const name of ["bk1", "bk2"] as const) await copyImage(src, client(name), "library/app", "backup/library/app", "t0");
    const tags = Array.from({ length: TAGS }, (_, i) => `t${i}`);
    for (const [name, repo] of [["harbor", "library/app"], ["bk1", "backup/library/app"], ["bk2", "backup/library/app"]] as const) {
      const c = client(name);
      for (const t of tags.slice(1)) await c.putManifest(repo, t, m.mediaType, m.bytes);
    }
    await fn({
      client,
      input: {
        source: { name: "harbor", baseUrl: harbor.url, username: "bench", password: pw, projects: ["library"] },
        backups: [
          { name: "bk1 (Basic)", baseUrl: bk1.url, username: "bench", password: pw, pathPrefix: "backup", keepsProjectPath: true },
          { name: "bk2 (Bearer)", baseUrl: bk2.url, username: "bench", password: pw, pathPrefix: "backup", keepsProjectPath: true },
        ],
      },
    });
  } finally {
    await stopAllDistributions();
    await tokens.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
