// RegionMirrors under Pulumi's mock runtime with hand-built upstreams (Harbor's robot account and
// a backup's pull identity): what the policy pack reads, where credentials go, offline node files.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { createRegionMirrors, type MirrorUpstream } from "../components/mirrors";
import { MIRROR_IMAGE } from "../components/mirrors/plan";
import { TOKENS } from "../components/types";
import { regionSchema } from "../infra/config/regions";
import { installMockRuntime, promiseOf, settle, type RecordedResource } from "../infra/offline/mockRuntime";
import { nodeFilesFromResources, writeNodeFiles } from "../infra/offline/nodeFiles";
import { buildPlan } from "../infra/offline/plan";
import { isSecret, unwrapSecret } from "./helpers/secrets";

const HARBOR_PW = "robot-pw-3f9a1c";
const GAR_PW = '{"type":"service_account","private_key":"gar-key-77e1"}';

const upstream = (name: string, kind: MirrorUpstream["endpoint"]["kind"], url: string, pathPrefix: string, username: string, password: string, keepsProjectPath = true): MirrorUpstream => ({
  endpoint: { name, kind, host: pulumi.output(new URL(url).host), url: pulumi.output(url), pathPrefix: pulumi.output(pathPrefix), insecure: false, keepsProjectPath },
  pull: { username, password: pulumi.secret(password) },
});

describe("RegionMirrors under mocks", () => {
  let resources: RecordedResource[];
  let summaries: ReturnType<typeof createRegionMirrors>;

  beforeAll(async () => {
    resources = await installMockRuntime("registry-topology", "test");
    const root = new pulumi.ComponentResource("test:index:Root", "root");
    const regions = [
      regionSchema.parse({
        name: "eu-west",
        mirrorNodes: { nodeSelector: { "node-role.kubernetes.io/registry-mirror": "true" } },
        nodes: { nodeSelector: { "topology.kubernetes.io/region": "westeurope" } },
        mirrorAddresses: ["10.1.0.11"],
        runtimes: ["containerd", "crio"],
        upstreamOrder: ["gar-usc1", "harbor"],
      }),
      regionSchema.parse({ name: "edge", mirrorNodes: { nodeSelector: { edge: "mirror" } }, mirrorAddresses: ["127.0.0.1"], runtimes: ["k3s"] }),
    ];
    summaries = createRegionMirrors(
      regions,
      [
        upstream("harbor", "harbor", "https://harbor.example.com", "", "robot$mirror", HARBOR_PW),
        upstream("gar-usc1", "gar", "https://us-central1-docker.pkg.dev", "regtopo-prod/harbor-backup", "_json_key", GAR_PW, true),
      ],
      root,
      { host: pulumi.output("harbor.example.com"), url: pulumi.output("https://harbor.example.com"), projects: ["library", "apps"] },
    );
    await Promise.all(summaries.map((s) => promiseOf(s.mirrors)));
    await settle();
  });

  const ofType = (type: string) => resources.filter((r) => r.type === type);

  it("registers one component per region with the non-secret props the policy pack reads", () => {
    const comps = ofType(TOKENS.regionMirrors);
    expect(comps.map((c) => c.name).sort()).toEqual(["mirrors-edge", "mirrors-eu-west"]);
    const eu = comps.find((c) => c.name === "mirrors-eu-west")!.inputs;
    expect(eu).toEqual({
      region: "eu-west",
      upstreams: [
        { name: "gar-usc1", kind: "gar", remoteUrl: "https://us-central1-docker.pkg.dev", insecure: false, username: "_json_key" },
        { name: "harbor", kind: "harbor", remoteUrl: "https://harbor.example.com", insecure: false, username: "robot$mirror" },
      ],
      staticPodImages: [MIRROR_IMAGE],
      mirrorAddresses: ["10.1.0.11"],
      runtimes: ["containerd", "crio"],
    });
  });

  it("summarises mirrors in the order nodes try them", async () => {
    expect(await promiseOf(summaries[0]!.mirrors)).toEqual([
      { upstream: "gar-usc1", address: "10.1.0.11:5000" },
      { upstream: "harbor", address: "10.1.0.11:5001" },
    ]);
  });

  it("creates a writer per role with the configured node selectors, CRI-O signalling only where needed", () => {
    const ds = ofType("kubernetes:apps/v1:DaemonSet");
    expect(ds.map((d) => d.name).sort()).toEqual(["regmirror-edge-mirror", "regmirror-edge-node", "regmirror-eu-west-mirror", "regmirror-eu-west-node"]);
    const spec = (name: string) => (unwrapSecret(ds.find((d) => d.name === name)!.inputs.spec) as { template: { spec: { nodeSelector?: unknown; hostPID: boolean } } }).template.spec;
    expect(spec("regmirror-eu-west-node").nodeSelector).toEqual({ "topology.kubernetes.io/region": "westeurope" });
    expect(spec("regmirror-eu-west-node").hostPID).toBe(true);
    expect(spec("regmirror-eu-west-mirror").nodeSelector).toEqual({ "node-role.kubernetes.io/registry-mirror": "true" });
    expect(spec("regmirror-eu-west-mirror").hostPID).toBe(false);
    expect(spec("regmirror-edge-node").nodeSelector).toBeUndefined();
  });

  it("gives the node writer's health probe the node's mTLS files (delivered by that writer) and the mirror writer the mirror status dir", () => {
    const ds = ofType("kubernetes:apps/v1:DaemonSet");
    const env = (name: string) =>
      Object.fromEntries(
        (unwrapSecret(ds.find((d) => d.name === name)!.inputs.spec) as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }).template.spec.containers[0]!.env.map((e) => [e.name, e.value]),
      );
    const manifest = (name: string) => String((unwrapSecret(ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === name)!.inputs.data) as Record<string, string>).manifest);
    for (const region of ["eu-west", "edge"]) {
      const e = env(`regmirror-${region}-node`);
      for (const k of ["PROBE_CACERT", "PROBE_CERT", "PROBE_KEY"]) expect(manifest(`regmirror-${region}-node`)).toContain(` ${e[k]} replace\n`);
      expect(e.PROBE_KEY).toMatch(/\.key$/);
      expect(env(`regmirror-${region}-mirror`).MIRROR_STATUS_DIR).toBe("/var/lib/registry-topology/mirrors");
    }
  });

  it("keeps credentials only in Secrets, as Pulumi secrets, and nowhere in the plan", () => {
    const secrets = ofType("kubernetes:core/v1:Secret");
    // Mirror nodes: configs and the server key; every node: the mirrors' client key.
    expect(secrets.map((s) => s.name).sort()).toEqual(["regmirror-edge-mirror", "regmirror-edge-node", "regmirror-eu-west-mirror", "regmirror-eu-west-node"]);
    for (const s of secrets) {
      expect(isSecret(s.inputs.stringData)).toBe(true);
    }
    const eu = unwrapSecret(secrets.find((s) => s.name === "regmirror-eu-west-mirror")!.inputs.stringData) as Record<string, string>;
    const configs = Object.values(eu)
      .filter((v) => !v.includes("PRIVATE KEY"))
      .map((v) => YAML.parse(v) as { proxy: { password: string; remoteurl: string } });
    expect(configs.map((c) => c.proxy.password).sort()).toEqual([GAR_PW, HARBOR_PW].sort());
    expect(Object.values(eu).filter((v) => v.includes("PRIVATE KEY"))).toHaveLength(1);
    const node = unwrapSecret(secrets.find((s) => s.name === "regmirror-eu-west-node")!.inputs.stringData) as Record<string, string>;
    expect(Object.values(node).length).toBeGreaterThan(0);
    expect(Object.values(node).every((v) => v.includes("PRIVATE KEY"))).toBe(true);

    const everythingButSecrets = JSON.stringify(resources.filter((r) => r.type !== "kubernetes:core/v1:Secret").map((r) => r.inputs));
    expect(everythingButSecrets).not.toContain(HARBOR_PW);
    // The PKI's private keys (mock PEM bodies) reach only the writers' Secrets, not ConfigMaps or DaemonSets.
    const k8sPublic = JSON.stringify(resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:core/v1:Secret").map((r) => r.inputs));
    expect(k8sPublic).not.toContain("PRIVATE KEY");
    expect(everythingButSecrets).not.toContain("gar-key-77e1");
    const plan = JSON.stringify(buildPlan({ stack: "test", resources, outputs: {} } as never));
    expect(plan).not.toContain(HARBOR_PW);
    expect(plan).not.toContain("gar-key-77e1");
  });

  it("puts a keyed restart digest in each static pod (host DNS), a generated restart key and a renewing PKI per region", async () => {
    const cm = ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === "regmirror-eu-west-mirror")!;
    const data = unwrapSecret(cm.inputs.data) as Record<string, string>;
    const pods = Object.values(data).filter((v) => v.includes("kind: Pod"));
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      const pod = YAML.parse(p) as { metadata: { annotations: Record<string, string> }; spec: { dnsPolicy: string } };
      expect(pod.metadata.annotations["registry-topology/restart-digest"]).toMatch(/^[0-9a-f]{32}$/);
      expect(pod.spec.dnsPolicy).toBe("Default");
    }
    // The restart key is a generated secret of the region.
    const keys = ofType("random:index/randomPassword:RandomPassword").map((r) => r.name);
    expect(keys).toEqual(expect.arrayContaining(["mirrors-eu-west-restart-key", "mirrors-edge-restart-key"]));
    // The PKI: a CA and two leaf certificates per region, renewed before they expire.
    const certs = ofType("tls:index/locallySignedCert:LocallySignedCert").filter((r) => r.name.startsWith("mirrors-eu-west-"));
    expect(certs.map((c) => c.name).sort()).toEqual(["mirrors-eu-west-client-cert", "mirrors-eu-west-server-cert"]);
    for (const c of certs) expect(c.inputs).toMatchObject({ validityPeriodHours: 2160, earlyRenewalHours: 720 });
    const csr = ofType("tls:index/certRequest:CertRequest").find((r) => r.name === "mirrors-eu-west-server-csr")!;
    expect(csr.inputs.ipAddresses).toEqual(["10.1.0.11"]);
  });

  it("writes the same files offline, redacted unless --with-secrets", () => {
    const files = nodeFilesFromResources(resources);
    const paths = files.map((f) => `${f.region}/${f.role}${f.path}`);
    expect(paths).toContain("eu-west/node/etc/containers/registries.conf.d/50-registry-topology.conf");
    expect(paths).toContain("eu-west/node/etc/containerd/certs.d/harbor.example.com/hosts.toml");
    expect(paths).toContain("eu-west/mirror/etc/kubernetes/manifests/registry-mirror-harbor.yaml");
    expect(paths).toContain("edge/node/etc/rancher/k3s/registries.yaml");
    expect(paths).toContain("edge/mirror/var/lib/rancher/k3s/agent/pod-manifests/registry-mirror-gar-usc1.yaml");
    const redacted = files.find((f) => f.path === "/etc/registry-topology/mirrors/harbor/config.yml" && f.region === "eu-west")!;
    expect(redacted.content).not.toContain(HARBOR_PW);
    expect((YAML.parse(redacted.content) as { proxy: { password: string; username: string } }).proxy).toMatchObject({ username: "robot$mirror", password: expect.stringMatching(/^<secret: Secret regmirror-eu-west-mirror key s\d+ proxy\.password>$/) });
    const real = nodeFilesFromResources(resources, { withSecrets: true }).find((f) => f.path === redacted.path && f.region === "eu-west")!;
    expect(real.content).toContain(HARBOR_PW);
    // Private keys are redacted whole.
    const keys = files.filter((f) => f.path.endsWith(".key"));
    expect(keys.map((f) => `${f.region}/${f.role}${f.path}`)).toEqual(
      expect.arrayContaining([
        "eu-west/mirror/etc/registry-topology/mirror-tls/server.key",
        "eu-west/node/etc/containers/certs.d/10.1.0.11:5000/client.key",
        "eu-west/node/etc/containerd/certs.d/harbor.example.com/registry-topology-mirror-client.key",
        "edge/node/etc/rancher/k3s/registry-topology/mirror-client.key",
      ]),
    );
    for (const k of keys) expect(k.content).toMatch(/^<secret: Secret regmirror-[a-z-]+ key s\d+ \(PEM private key\)>$/m);

    const out = fs.mkdtempSync(path.join(os.tmpdir(), "nodes-"));
    try {
      const written = writeNodeFiles(out, files);
      expect(written).toHaveLength(files.length);
      expect((fs.statSync(path.join(out, "eu-west/mirror/etc/registry-topology/mirrors/harbor/config.yml")).mode & 0o777).toString(8)).toBe("600");
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
