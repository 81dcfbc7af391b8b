// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The writer's `token` apply mode (issue 19), run for real by busybox sh against a fake host
// root: a token key from the refresher's Secret is delivered only when it is a whole token file;
// absent or malformed, the node keeps the token it has; STATUS and metrics say how long it lives;
// cleanup removes it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NodeFile } from "../components/mirrors/nodeFiles";
import { formatTokenFile } from "../components/refresher/tokenFile";
import { busyboxPath, runWriter, writeSources } from "./helpers/writer-host";

const TOKEN = "/etc/registry-topology/mirrors/ecr-fra/token";
const KEY = "t0123456789abcdef";
const config: NodeFile = { role: "mirror", path: "/etc/registry-topology/mirrors/ecr-fra/config.yml", mode: "0600", anchor: "/etc", secret: true, content: "proxy: {}\n", apply: "replace" };
const token: NodeFile = { role: "mirror", path: TOKEN, mode: "0600", anchor: "/etc", secret: true, content: "", apply: "token", sourceKey: KEY };

describe("writer token apply mode", () => {
  let base: string;
  let host: string;
  let src: string;
  let metrics: string;
  let bb: string;
  const run = (mode = "sync") =>
    runWriter(base, {
      env: { PATH: bb, HOST_ROOT: host, SRC_DIR: src, STATE_FILE: "/var/lib/registry-topology/mirror.managed", RUN_ONCE: "1", NODE_NAME: "mirror-a", REGION_NAME: "eu", WRITER_ROLE: "mirror", METRICS_TEXTFILE_DIR: metrics, WRITER_MODE: mode },
      timeoutMs: 20_000,
    });
  const onNode = () => fs.readFileSync(path.join(host, TOKEN), "utf8");
  const prom = () => fs.readFileSync(path.join(metrics, "registry-topology-eu-mirror.prom"), "utf8");
  const now = Date.now();
  const t1 = formatTokenFile({ username: "AWS", password: "first-token", issuedAt: now, expiresAt: now + 3600_000 });

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "writer-token-"));
    host = path.join(base, "host");
    src = path.join(base, "files");
    metrics = path.join(base, "metrics");
    bb = busyboxPath(base);
    for (const d of ["etc", "var/lib"]) fs.mkdirSync(path.join(host, d), { recursive: true });
    fs.mkdirSync(metrics);
    writeSources(src, [config, token]);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it("no key yet: the other files are written, the token is reported missing, the round succeeds", async () => {
    const r = await run();
    expect(r.code, r.out).toBe(0);
    expect(fs.existsSync(path.join(host, config.path))).toBe(true);
    expect(fs.existsSync(path.join(host, TOKEN))).toBe(false);
    expect(r.out).toMatch(/token-ecr-fra="missing: no token from the token refresher yet"/);
    expect(prom()).toMatch(/registry_topology_mirror_token_present\{node="mirror-a",region="eu",role="mirror",upstream="ecr-fra"\} 0/);
  });

  it("a whole token is delivered 0600 with its lifetime in STATUS and metrics; a malformed key keeps it", async () => {
    fs.writeFileSync(path.join(src, KEY), t1);
    const r = await run();
    expect(r.code, r.out).toBe(0);
    expect(onNode()).toBe(t1);
    expect(fs.statSync(path.join(host, TOKEN)).mode & 0o777).toBe(0o600);
    expect(r.out).toMatch(/wrote \/etc\/registry-topology\/mirrors\/ecr-fra\/token \(a new token\)/);
    expect(r.out).toMatch(/token-ecr-fra="3[56]\d\ds left"/);
    expect(prom()).toContain(`registry_topology_mirror_token_expiry_timestamp_seconds{node="mirror-a",region="eu",role="mirror",upstream="ecr-fra"} ${Math.floor((now + 3600_000) / 1000)}`);
    expect(prom()).toContain(`registry_topology_mirror_token_issued_timestamp_seconds{node="mirror-a",region="eu",role="mirror",upstream="ecr-fra"} ${Math.floor(now / 1000)}`);
    // A half-written or empty key (never a real one, but a Secret can be edited by hand).
    for (const bad of ["", "username=AWS\n", `${t1}password=other\n`, t1.replace("expires=", "expires=x")]) {
      fs.writeFileSync(path.join(src, KEY), bad);
      const again = await run();
      expect(again.code, again.out).toBe(0);
      expect(onNode()).toBe(t1);
    }
  });

  it("an expired token says so; cleanup removes the token file", async () => {
    fs.writeFileSync(path.join(src, KEY), formatTokenFile({ username: "AWS", password: "old", issuedAt: now - 7200_000, expiresAt: now - 60_000 }));
    const r = await run();
    expect(r.out).toMatch(/token-ecr-fra="expired \d+s ago: check the token refresher/);
    const c = await run("cleanup");
    expect(c.code, c.out).toBe(0);
    expect(fs.existsSync(path.join(host, TOKEN))).toBe(false);
  });
});
