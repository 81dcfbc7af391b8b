// The token refresher as a stack renders it (issue 19 part 2): one Deployment running the bundled
// refresher on the pinned Node image, a Role that can only get and patch the tokens Secret, the
// tokens Secret left to the refresher (ignoreChanges), and the mirror side: each token backup's
// mirror takes its credential from that Secret (no password in its config), through the writer,
// with a node digest over the token file so a new token restarts it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { REFRESHER_TOKENS_SECRET, tokenKey } from "../components/refresher/names";
import { refresherSettingsSchema } from "../components/refresher/settings";
import { NODE_IMAGE } from "../components/shared/images";
import { TOKENS } from "../components/types";
import { parseWriterManifest } from "../components/mirrors/writer";
import { refresherSettings } from "../components/refresher";
import "../infra/offline/mocks";
import { checkStack } from "../policy/check";
import { byType, renderStack, type RenderResult } from "./helpers/render";
import { isSecret, unwrapSecret } from "./helpers/secrets";

const ACCOUNT = "493817264501";
const ECR = { name: "ecr-fra", kind: "ecr", accountId: ACCOUNT, region: "eu-central-1" };
const IRSA = { ...ECR, name: "ecr-irsa", region: "us-east-2", pullIdentity: { kind: "irsa", oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-2.amazonaws.com/id/ABC` } };
const harbor = { hostname: "harbor.test.example.com", failureDomain: "aws:us-west-2", expose: { type: "ingress", className: "nginx", tlsSecretName: "harbor-tls" }, projects: [{ name: "library" }] };
const REGION = { name: "eu", mirrorNodes: { nodeSelector: { "registry-mirror": "true" } }, mirrorAddresses: ["10.0.0.5"], runtimes: ["containerd"] };

let dir: string;
let stack: string;
let r: RenderResult;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "refresher-render-"));
  stack = path.join(dir, "Pulumi.tokens.yaml");
  fs.writeFileSync(stack, stringify({ config: { "registry-topology:environment": "staging", "registry-topology:harbor": harbor, "registry-topology:backups": [ECR, IRSA], "registry-topology:regions": [REGION] } }));
  r = await renderStack(stack);
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const named = (type: string, name: string) => byType(r, type).find((x) => (x.inputs.metadata as { name?: string } | undefined)?.name === name);

describe("the token refresher's objects", () => {
  it("one Deployment on the pinned Node image, non-root, read-only root, running the bundled refresher with its settings", () => {
    expect(byType(r, TOKENS.tokenRefresher)).toHaveLength(1);
    const d = named("kubernetes:apps/v1:Deployment", "registry-topology-token-refresher")!;
    const pod = (d.inputs.spec as { template: { spec: Record<string, unknown> } }).template.spec as { serviceAccountName: string; securityContext: Record<string, unknown>; containers: { image: string; command: string[]; securityContext: Record<string, unknown> }[] };
    expect(pod.serviceAccountName).toBe("registry-topology-token-refresher");
    expect(pod.containers[0]!.image).toBe(NODE_IMAGE);
    expect(pod.containers[0]!.command).toEqual(["node", "/opt/registry-topology-token-refresher/refresher.js"]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(pod.containers[0]!.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    const cm = named("kubernetes:core/v1:ConfigMap", "registry-topology-token-refresher-code")!;
    const data = cm.inputs.data as Record<string, string>;
    expect(data["refresher.js"]).toMatch(/^\/\/ registry-topology token refresher \(components\/refresher\/main\.ts\), bundled by esbuild/);
    const settings = refresherSettingsSchema.parse(JSON.parse(data["settings.json"]!));
    expect(settings.store).toEqual({ kind: "secret", namespace: "kube-system", name: REFRESHER_TOKENS_SECRET });
    expect(settings.targets).toEqual([
      { backup: "ecr-fra", key: tokenKey("ecr-fra", { kind: "ecr", region: "eu-central-1", registryId: ACCOUNT }), kind: "ecr", region: "eu-central-1", registryId: ACCOUNT, identity: "accessKey" },
      { backup: "ecr-irsa", key: tokenKey("ecr-irsa", { kind: "ecr", region: "us-east-2", registryId: ACCOUNT }), kind: "ecr", region: "us-east-2", registryId: ACCOUNT, identity: "irsa" },
    ]);
  });

  it("least privilege: the Role gets and patches the tokens Secret by name, nothing else; the service account holds the IRSA role", () => {
    const role = named("kubernetes:rbac.authorization.k8s.io/v1:Role", "registry-topology-token-refresher")!;
    expect(role.inputs.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], resourceNames: [REFRESHER_TOKENS_SECRET], verbs: ["get", "patch"] }]);
    const binding = named("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "registry-topology-token-refresher")!;
    expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "registry-topology-token-refresher", namespace: "kube-system" }]);
    const sa = named("kubernetes:core/v1:ServiceAccount", "registry-topology-token-refresher")!;
    const ann = (sa.inputs.metadata as { annotations?: Record<string, unknown> }).annotations ?? {};
    expect(String(unwrapSecret(ann["eks.amazonaws.com/role-arn"]))).toMatch(/ecr-irsa-pull/);
  });

  it("the pull access key reaches the refresher only as a secret; the tokens Secret is created empty and left to the refresher", () => {
    const creds = named("kubernetes:core/v1:Secret", "registry-topology-token-refresher-credentials")!;
    expect(isSecret(creds.inputs.stringData)).toBe(true);
    const key = tokenKey("ecr-fra", { kind: "ecr", region: "eu-central-1", registryId: ACCOUNT });
    expect(Object.keys(unwrapSecret(creds.inputs.stringData) as Record<string, string>).sort()).toEqual([`${key}.id`, `${key}.secret`]);
    const tokens = named("kubernetes:core/v1:Secret", REFRESHER_TOKENS_SECRET)!;
    expect(tokens.inputs.data).toBeUndefined();
    expect(tokens.inputs.stringData).toBeUndefined();
    expect(tokens.ignoreChanges.sort()).toEqual(["data", "stringData"]);
  });

  it("settings refuse two role identities (one service account holds one role), naming the backups", () => {
    const mint = (region: string) => ({ kind: "ecr" as const, region, registryId: ACCOUNT, identity: "irsa" as const });
    expect(() => refresherSettings([{ backup: "a", key: "ta", mint: mint("eu-west-1") }, { backup: "b", key: "tb", mint: mint("eu-west-2") }], 300)).toThrow(/backups a, b each mint with a role.*pullIdentity.kind accessKey/);
  });
});

describe("the mirrors of token backups", () => {
  const writerFiles = () => {
    const cm = named("kubernetes:core/v1:ConfigMap", "regmirror-eu-mirror")!;
    return cm.inputs.data as Record<string, string>;
  };

  it("the mirror writer projects the tokens Secret (optional) and its manifest delivers each token as a token file", () => {
    const ds = named("kubernetes:apps/v1:DaemonSet", "regmirror-eu-mirror")!;
    const sources = (ds.inputs.spec as { template: { spec: { volumes: { name: string; projected?: { sources: Record<string, unknown>[] } }[] } } }).template.spec.volumes.find((v) => v.name === "files")!.projected!.sources;
    expect(sources).toContainEqual({ secret: { name: REFRESHER_TOKENS_SECRET, optional: true } });
    const lines = parseWriterManifest(writerFiles().manifest!).filter((l) => l.apply === "token");
    expect(lines.map((l) => [l.key, l.path, l.mode])).toEqual([
      [tokenKey("ecr-fra", { kind: "ecr", region: "eu-central-1", registryId: ACCOUNT }), "/etc/registry-topology/mirrors/ecr-fra/token", "0600"],
      [tokenKey("ecr-irsa", { kind: "ecr", region: "us-east-2", registryId: ACCOUNT }), "/etc/registry-topology/mirrors/ecr-irsa/token", "0600"],
    ]);
  });

  it("the static pod runs the token relay beside distribution; distribution's proxy points at it, with the relay secret, not a registry credential", () => {
    const files = writerFiles();
    const manifest = parseWriterManifest(files.manifest!);
    const key = (p: string) => manifest.find((l) => l.path === p)!.key;
    const doc = parse(files[key("/etc/kubernetes/manifests/registry-mirror-ecr-fra.yaml")]!) as { spec: { containers: { name: string; image: string; command: string[]; env: { name: string; value: string }[] }[]; volumes: { name: string; hostPath: { path: string } }[] } };
    const relay = doc.spec.containers.find((c) => c.name === "token-relay")!;
    expect(relay.image).toBe(NODE_IMAGE);
    const env = Object.fromEntries(relay.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ UPSTREAM_URL: `https://${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com`, CREDENTIAL_FILE: "/etc/registry-topology-relay/token", RELAY_SECRET_FILE: "/etc/registry-topology-relay/relay-secret" });
    expect(doc.spec.volumes).toContainEqual({ name: "token-relay", hostPath: { path: "/etc/registry-topology/mirror-bin/token-relay.cjs", type: "File" } });
    expect(files[key("/etc/registry-topology/mirror-bin/token-relay.cjs")]).toContain("registry-topology token relay");
    // The mirrors of static-credential upstreams have no relay.
    expect(files[key("/etc/kubernetes/manifests/registry-mirror-harbor.yaml")]).not.toContain("token-relay");
    const secret = named("kubernetes:core/v1:Secret", "regmirror-eu-mirror")!;
    const data = unwrapSecret(secret.inputs.stringData) as Record<string, string>;
    const proxy = (parse(data[key("/etc/registry-topology/mirrors/ecr-fra/config.yml")]!) as { proxy: Record<string, string> }).proxy;
    expect(proxy.remoteurl).toBe(`http://127.0.0.1:${env.LISTEN_PORT}`);
    expect(proxy.username).toBe("registry-topology-relay");
    expect(proxy.password).toMatch(/^[0-9a-f]{40}$/);
    expect(data[key("/etc/registry-topology/mirrors/ecr-fra/relay-secret")]).toBe(proxy.password);
    // No access key of the pull identity on the node: only the refresher holds it.
    expect(JSON.stringify(data)).not.toMatch(/AKIA/);
  });

  it("token backups alone cover the region for the policy", async () => {
    const res = await checkStack(stack);
    expect(res.result.violations).toEqual([]);
  });
});
