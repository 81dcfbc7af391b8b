// The writer derives a static pod's restart digest from the files it writes (issue 19): a mirror
// credential that changes between two `pulumi up`s (the token refresher writes it through the
// writer's Secret) changes the pod manifest on the node by itself, so the kubelet restarts the
// mirror. Run for real by busybox sh against a fake host root, as test/mirrors-writer.test.ts does.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NodeFile } from "../components/mirrors/nodeFiles";
import { busyboxPath, runWriter, writeSources } from "./helpers/writer-host";

const CONFIG = "/etc/kubernetes/registry-topology/mirror-ecr/config.yml";
const POD = "/etc/kubernetes/manifests/registry-topology-mirror-ecr.yaml";

const cfg = (password: string): NodeFile => ({ role: "mirror", path: CONFIG, mode: "0600", anchor: "/etc/kubernetes", secret: true, content: `proxy:\n  username: AWS\n  password: ${password}\n`, apply: "replace" });
const pod = (): NodeFile => ({
  role: "mirror",
  path: POD,
  mode: "0644",
  anchor: "/etc/kubernetes",
  secret: false,
  apply: "static-pod",
  content: `# registry-topology node-digest-of: ${CONFIG}\napiVersion: v1\nkind: Pod\nmetadata:\n  name: mirror-ecr\n  annotations:\n    registry-topology/node-digest: "@node-digest@"\n`,
});

describe("node-side restart digest (writer.sh node_digest)", () => {
  let base: string;
  let bb: string;
  let host: string;
  let src: string;
  const sync = (files: NodeFile[], restartKey?: string) => {
    writeSources(src, files);
    if (restartKey) fs.writeFileSync(path.join(src, "restartkey"), restartKey);
    return runWriter(base, { env: { PATH: bb, HOST_ROOT: host, SRC_DIR: src, STATE_FILE: "/var/lib/registry-topology/test.managed", RUN_ONCE: "1", PROBE_TIMEOUT_SECONDS: "1", NODE_NAME: "node-a" }, timeoutMs: 20_000 });
  };
  const digestOf = () => /registry-topology\/node-digest: "([^"]*)"/.exec(fs.readFileSync(path.join(host, POD), "utf8"))?.[1];

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "node-digest-"));
    host = path.join(base, "host");
    src = path.join(base, "files");
    bb = busyboxPath(base);
    for (const d of ["etc/kubernetes/manifests", "var/lib"]) fs.mkdirSync(path.join(host, d), { recursive: true });
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it("a new credential alone (same manifest from `up`) changes the pod's digest; the same credential keeps it", async () => {
    const key = "k".repeat(32);
    const first = await sync([cfg("token-one"), pod()], key);
    expect(first.code).toBe(0);
    const d1 = digestOf();
    expect(d1).toMatch(/^[0-9a-f]{32}$/);
    expect((await sync([cfg("token-one"), pod()], key)).code).toBe(0);
    expect(digestOf()).toBe(d1); // nothing changed: no restart
    expect((await sync([cfg("token-two"), pod()], key)).code).toBe(0);
    expect(fs.readFileSync(path.join(host, CONFIG), "utf8")).toContain("token-two");
    expect(digestOf()).toMatch(/^[0-9a-f]{32}$/);
    expect(digestOf()).not.toBe(d1); // the kubelet sees a changed manifest and restarts the mirror
  });

  it("the digest is keyed: it is no plain hash of the credential file, and another key gives another digest", async () => {
    await sync([cfg("token-one"), pod()], "a".repeat(32));
    const withA = digestOf()!;
    const plain = createHash("sha256").update(fs.readFileSync(path.join(host, CONFIG))).digest("hex");
    expect(plain.slice(0, 32)).not.toBe(withA);
    await sync([cfg("token-one"), pod()], "b".repeat(32));
    expect(digestOf()).not.toBe(withA);
  });

  it("a static pod without the placeholder is written as it is", async () => {
    const plainPod = { ...pod(), content: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: other\n" };
    expect((await sync([cfg("x"), plainPod])).code).toBe(0);
    expect(fs.readFileSync(path.join(host, POD), "utf8")).toBe(plainPod.content);
  });
});
