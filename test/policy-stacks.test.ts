// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The offline policy check over real renders: every shipped stack passes, the bad fixture stacks
// under test/fixtures/stacks are blocked by requires-backup-target, and deliberate breakages of the
// real prod graph are each blocked with the exact violation.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RecordedResource } from "../infra/offline/mockRuntime";
import { renderStack } from "../infra/offline/render";
import { listStacks, REPO_ROOT } from "../infra/offline/stackFiles";
import { checkStack } from "../policy/check";
import { evaluatePolicies, type Violation } from "../policy/evaluate";
import { SECRET_SIG, SIG_KEY, topologyOf } from "../policy/graph";
import { packConfigFor } from "../policy/levels";
import { toPolicyResources } from "../policy/offline";
import { policies } from "../policy/policies";

const fixture = (name: string) => path.join(REPO_ROOT, "test", "fixtures", "stacks", `Pulumi.${name}.yaml`);
const brief = (vs: Violation[]) => vs.map((v) => `${v.enforcementLevel} ${v.policy} ${v.resource ? `${v.resource.type}::${v.resource.name}` : "(stack)"}`);
const HARBOR = "registry-topology:harbor:Harbor::harbor";

describe("shipped stacks", () => {
  it.each(listStacks())("%s passes the offline policy check", async (stack) => {
    const check = await checkStack(stack);
    expect(check.blocked).toBe(false);
    expect(check.environment).toBe(stack);
    expect(check.result.ran.map((r) => r.policy)).toEqual(policies.map((p) => p.name));
    if (stack === "local") {
      // Its only backup runs in Harbor's cluster: reported, advisory by the local stack's name.
      expect(brief(check.result.violations)).toEqual([`advisory backup-outside-harbor-failure-domain ${HARBOR}`]);
      expect(check.result.violations[0]!.message).toContain(`backup "local-oci": it is in Harbor's failure domain "harbor-cluster" (same cluster)`);
    } else {
      expect(check.result.violations).toEqual([]);
    }
  });
});

describe("bad fixture stacks", () => {
  const NO_REGION = `mandatory mirrors-cover-every-region ${HARBOR}`;
  // [fixture, stack name, the policy that blocks it, reason]. Levels come from
  // the stack NAME: none of these is named after an environment, so all get prod's rules
  // whatever `environment:` they declare.
  const cases: [string, string, string, string][] = [
    ["single-registry", "single-registry", "requires-backup-target", "but it has no backup registry."],
    ["in-cluster-backup", "in-cluster-backup", "backup-outside-harbor-failure-domain", `but backup "cluster-oci": it is in Harbor's failure domain "harbor-cluster" (same cluster), so it fails together with Harbor.`],
    ["same-host-backup", "same-host-backup", "backup-outside-harbor-failure-domain", `but backup "side-oci": its URL https://harbor.samehost.example.com:5443 is on Harbor's own machine (harbor.samehost.example.com:5443; Harbor is on harbor.samehost.example.com:80).`],
    ["replication-disabled", "replication-disabled", "requires-backup-target", `but backup "acr-neu": replication policy "acr-neu-library" is disabled.`],
    ["harbor-spelling", "harbor-spelling", "requires-backup-target", `but backup "nas-oci": its URL https://harbor.spelling.example.com is Harbor itself (harbor.spelling.example.com:443 is where Harbor answers).`],
    ["never-fires", "never-fires", "requires-backup-target", `but backup "nas-oci": replication policy "nas-oci-library" never runs: its cron "0 0 3 30 2 *" can never fire (no date on the calendar matches it).`],
  ];
  it.each(cases)("%s (stack %s) is blocked by %s", async (name, stack, policy, reason) => {
    const check = await checkStack(fixture(name));
    expect(check.stack).toBe(stack);
    expect(check.environment).toBe("prod");
    expect(check.blocked).toBe(true);
    // These fixtures declare no region: prod's rules also block that (mirrors-cover-every-region).
    expect(brief(check.result.violations)).toEqual([`mandatory ${policy} ${HARBOR}`, NO_REGION]);
    expect(check.result.violations[0]!.message).toContain(reason);
    expect(check.result.violations[0]!.message).toContain("Add a backup under `registry-topology:backups`");
  });

  it("a stack named prod declaring `environment: local` and `regions: []` is held to prod's rules", async () => {
    const check = await checkStack(path.join(REPO_ROOT, "test/fixtures/stacks/named-prod/Pulumi.prod.yaml"));
    expect(topologyOf(toPolicyResources((await renderStack(path.join(REPO_ROOT, "test/fixtures/stacks/named-prod/Pulumi.prod.yaml"))).resources))?.environment).toBe("local");
    expect([check.stack, check.environment, check.blocked]).toEqual(["prod", "prod", true]);
    expect(brief(check.result.violations)).toEqual([`mandatory backup-outside-harbor-failure-domain ${HARBOR}`, NO_REGION]);
    expect(check.result.violations[0]!.message).toContain(`backup "local-oci": it is in Harbor's failure domain "harbor-cluster" (same cluster), so it fails together with Harbor; its URL http://127.0.0.1:30500 is on Harbor's own machine`);
  });

  it("a stack named local with zero backups is blocked (local relaxes only the failure-domain rule)", async () => {
    const check = await checkStack(path.join(REPO_ROOT, "test/fixtures/stacks/named-local/Pulumi.local.yaml"));
    expect([check.stack, check.environment, check.blocked]).toEqual(["local", "local", true]);
    expect(brief(check.result.violations)).toEqual([`mandatory requires-backup-target ${HARBOR}`, "advisory mirrors-cover-every-region registry-topology:mirrors:RegionMirrors::mirrors-local"]);
    expect(check.result.violations[0]!.message).toContain("but it has no backup registry.");
  });
});

describe("breaking the real prod graph", () => {
  let prod: RecordedResource[];
  beforeAll(async () => {
    prod = (await renderStack("prod")).resources;
  });

  const evaluate = async (mutate: (rs: RecordedResource[]) => RecordedResource[]) => {
    const resources = toPolicyResources(mutate(structuredClone(prod)));
    return (await evaluatePolicies(policies, resources, packConfigFor("prod"))).violations;
  };
  const isPolicy = (r: RecordedResource) => r.type === "pulumi-nodejs:dynamic/harbor:ReplicationPolicy";

  it("is clean before it is broken", async () => {
    expect(await evaluate((rs) => rs)).toEqual([]);
  });

  it("no replication policy to any backup", async () => {
    const vs = await evaluate((rs) => rs.filter((r) => !isPolicy(r)));
    expect(brief(vs)).toEqual([`mandatory requires-backup-target ${HARBOR}`]);
    expect(vs[0]!.message).toContain(`backup "acr-neu": no Harbor replication policy pushes to it. backup "gar-usc1": no Harbor replication policy pushes to it.`);
  });

  it("manual-only and disabled policies", async () => {
    const vs = await evaluate((rs) => {
      for (const r of rs.filter(isPolicy)) {
        if (r.name.includes("acr-neu")) r.inputs.trigger = "manual";
        else r.inputs.enabled = false;
      }
      return rs;
    });
    expect(brief(vs)).toEqual([`mandatory requires-backup-target ${HARBOR}`]);
    expect(vs[0]!.message).toContain(`backup "acr-neu": replication policy "acr-neu-library" has trigger "manual"`);
    expect(vs[0]!.message).toContain(`backup "gar-usc1": replication policy "gar-usc1-library" is disabled`);
  });

  it("policies that miss one project", async () => {
    const vs = await evaluate((rs) => rs.filter((r) => !(isPolicy(r) && r.name.endsWith("-data"))));
    expect(brief(vs)).toEqual([`mandatory requires-backup-target ${HARBOR}`]);
    expect(vs[0]!.message).toContain(`backup "acr-neu": no enabled replication policy copies the whole of project data. backup "gar-usc1": no enabled replication policy copies the whole of project data.`);
  });

  it("an ACR admin user", async () => {
    const vs = await evaluate((rs) => {
      rs.find((r) => r.type === "azure-native:containerregistry:Registry")!.inputs.adminUserEnabled = true;
      return rs;
    });
    expect(brief(vs)).toEqual(["mandatory no-registry-admin-credentials azure-native:containerregistry:Registry::acr-neu-registry"]);
  });

  it("a plaintext credential", async () => {
    const vs = await evaluate((rs) => {
      const ep = rs.find((r) => r.type === "pulumi-nodejs:dynamic/harbor:RegistryEndpoint" && r.name.endsWith("acr-neu"))!;
      const wrapped = ep.inputs.accessSecret as Record<string, unknown>;
      expect(wrapped[SIG_KEY]).toBe(SECRET_SIG);
      ep.inputs.accessSecret = wrapped.value;
      return rs;
    });
    expect(brief(vs)).toEqual(["mandatory credentials-are-secret pulumi-nodejs:dynamic/harbor:RegistryEndpoint::replication-endpoint-acr-neu"]);
    expect(vs[0]!.message).toContain("accessSecret (plain text)");
  });

  it("a generated internal secret of Harbor stored in clear (the RandomString of secrets.ts before the fix)", async () => {
    const vs = await evaluate((rs) => {
      const key = rs.find((r) => r.name === "harbor-secret-key")!;
      expect(key.type).toBe("random:index/randomPassword:RandomPassword");
      key.type = "random:index/randomString:RandomString";
      key.additionalSecretOutputs = [];
      return rs;
    });
    expect(brief(vs)).toEqual(["mandatory credentials-are-secret random:index/randomString:RandomString::harbor-secret-key"]);
    expect(vs[0]!.message).toContain("(it feeds Secret::harbor-internal-secrets), but its outputs id, result are stored in clear in the state.");
  });

  it("a scheduled replication that never fires, and a backup URL that is Harbor's own", async () => {
    const vs = await evaluate((rs) => {
      for (const r of rs.filter(isPolicy)) Object.assign(r.inputs, { trigger: "scheduled", cron: "0 0 0 31 4 *" });
      return rs;
    });
    expect(brief(vs)).toEqual([`mandatory requires-backup-target ${HARBOR}`]);
    expect(vs[0]!.message).toContain(`backup "acr-neu": replication policy "acr-neu-library" never runs: its cron "0 0 0 31 4 *" can never fire`);
    const itself = await evaluate((rs) => {
      for (const r of rs.filter((x) => x.type === "pulumi-nodejs:dynamic/harbor:RegistryEndpoint")) r.inputs.url = "https://Harbor.Example.com.";
      return rs;
    });
    expect(brief(itself)).toEqual([`mandatory requires-backup-target ${HARBOR}`]);
    expect(itself[0]!.message).toContain(`backup "acr-neu": its URL https://Harbor.Example.com. is Harbor itself (harbor.example.com:443 is where Harbor answers)`);
  });

  it("an unpinned static pod image and DaemonSet image", async () => {
    const vs = await evaluate((rs) => {
      const region = rs.find((r) => r.type === "registry-topology:mirrors:RegionMirrors" && r.inputs.region === "edge")!;
      region.inputs.staticPodImages = ["docker.io/library/registry:3"];
      const ds = rs.find((r) => r.type === "kubernetes:apps/v1:DaemonSet" && r.name === "regmirror-edge-node")!;
      const pod = (ds.inputs.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec;
      pod.containers[0]!.image = "docker.io/library/busybox:1.36.1";
      return rs;
    });
    expect(brief(vs)).toEqual([
      "mandatory pinned-images registry-topology:mirrors:RegionMirrors::mirrors-edge",
      "mandatory pinned-images kubernetes:apps/v1:DaemonSet::regmirror-edge-node",
    ]);
  });

  it("an unpinned image in the archive CronJob", async () => {
    const vs = await evaluate((rs) => {
      const job = rs.find((r) => r.type === "kubernetes:batch/v1:CronJob")!;
      const pod = (job.inputs.spec as { jobTemplate: { spec: { template: { spec: { containers: { image: string }[] } } } } }).jobTemplate.spec.template.spec;
      pod.containers[0]!.image = "quay.io/skopeo/stable:v1.17.0";
      return rs;
    });
    expect(brief(vs)).toEqual([expect.stringMatching(/^mandatory pinned-images kubernetes:batch\/v1:CronJob::/)]);
  });

  it("a region without a backup mirror (mandatory in prod, advisory in dev)", async () => {
    const drop = (rs: RecordedResource[]) => {
      const region = rs.find((r) => r.type === "registry-topology:mirrors:RegionMirrors" && r.inputs.region === "edge")!;
      region.inputs.upstreams = (region.inputs.upstreams as { kind: string }[]).filter((u) => u.kind === "harbor");
      return rs;
    };
    expect(brief(await evaluate(drop))).toEqual(["mandatory mirrors-cover-every-region registry-topology:mirrors:RegionMirrors::mirrors-edge"]);
    const dev = await evaluatePolicies(policies, toPolicyResources(drop(structuredClone(prod))), packConfigFor("dev"));
    expect(brief(dev.violations)).toEqual(["advisory mirrors-cover-every-region registry-topology:mirrors:RegionMirrors::mirrors-edge"]);
  });
});

describe("npm run policy (the CLI)", () => {
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "policy/check-cli.ts", ...args], { cwd: REPO_ROOT, timeout: 120_000 }, (err, stdout) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout });
      });
    });

  // One spawn only (the CLI costs seconds of ts-node start-up); --all's logic is the shipped-stacks
  // test above, in-process.
  it("exits 1 naming requires-backup-target for the single-registry fixture", async () => {
    const single = await run(["--stack", "test/fixtures/stacks/Pulumi.single-registry.yaml"]);
    expect(single.code).toBe(1);
    expect(single.stdout).toContain("MANDATORY requires-backup-target registry-topology:harbor:Harbor::harbor");
    expect(single.stdout).toMatch(/^0 passed, 1 failed$/m);
  });
});
