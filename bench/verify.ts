import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { htpasswdLine } from "../components/shared/htpasswd";
import { copyImage } from "../infra/verify/copy";
import { RegistryClient } from "../infra/verify/registry-client";
import { verifyTopology } from "../infra/verify/verify";
import { startDistribution, stopAllDistributions } from "../test/helpers/distribution";
import { buildOciImage, pushImage } from "../test/helpers/oci-image";
import { startTokenServer, tokenAuthConfig } from "../test/helpers/token-server";

const TAGS = 200;

/** Verify time for 200 tags across 2 backups (one Basic, one Bearer), and requests made. */
export async function run(): Promise<void> {
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
    const client = (name: string, url: string) => new RegistryClient({ name, baseUrl: url, username: "bench", password: pw });
    const src = client("harbor", harbor.url);
    const m = (await src.manifest("library/app", "t0"))!;
    for (const [name, url, repo] of [["bk1", bk1.url, "backup/library/app"], ["bk2", bk2.url, "backup/library/app"]] as const) {
      await copyImage(src, client(name, url), "library/app", repo, "t0");
    }
    const tags = Array.from({ length: TAGS }, (_, i) => `t${i}`);
    for (const [name, url, repo] of [["harbor", harbor.url, "library/app"], ["bk1", bk1.url, "backup/library/app"], ["bk2", bk2.url, "backup/library/app"]] as const) {
      const c = client(name, url);
      for (const t of tags.slice(1)) await c.putManifest(repo, t, m.mediaType, m.bytes);
    }

    const input = {
      source: { name: "harbor", baseUrl: harbor.url, username: "bench", password: pw, projects: ["library"] },
      backups: [
        { name: "bk1 (Basic)", baseUrl: bk1.url, username: "bench", password: pw, pathPrefix: "backup", keepsProjectPath: true },
        { name: "bk2 (Bearer)", baseUrl: bk2.url, username: "bench", password: pw, pathPrefix: "backup", keepsProjectPath: true },
      ],
    };
    console.log(`\n## Replication verification (npm run verify): ${TAGS} tags in Harbor, 2 backups, real distribution on 127.0.0.1`);
    console.log("requests and ms per registry: harbor (list + digests) / bk1 (Basic auth) / bk2 (Bearer, incl. token requests)");
    console.log("concurrency  wall ms  requests             ms per registry      result");
    for (const concurrency of [1, 8]) {
      const t0 = performance.now();
      const r = await verifyTopology(input, { concurrency });
      const ms = performance.now() - t0;
      const reqs = [r.source.requests, ...r.backups.map((b) => b.requests)].join(" / ");
      const per = [r.source.ms, ...r.backups.map((b) => b.ms)].join(" / ");
      console.log(`${String(concurrency).padStart(11)}  ${ms.toFixed(0).padStart(7)}  ${reqs.padEnd(19)}  ${per.padEnd(19)}  exit ${r.exitCode}, in sync ${r.backups.map((b) => b.inSync).join(" + ")}`);
    }
  } finally {
    await stopAllDistributions();
    await tokens.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
