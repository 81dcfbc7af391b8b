// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The ways a stack could pass the backup policies without a real backup, each blocked with the
// exact violation (policy, level, resource). The graph is the hand-built healthy stack
// (helpers/policy-harness.ts) broken one way at a time and run through EVERY policy at prod's
// levels, so a test also fails when an evasion trips the wrong policy or more than one.
import { describe, expect, it } from "vitest";
import { harborCronProblem } from "../components/harbor/api/cron";
import { cronCanFire, cronNeverRuns, harborCronError, parseCron } from "../policy/cron";
import { BadPatternError, doublestarMatch, harborMatch } from "../policy/doublestar";
import { evaluatePolicies } from "../policy/evaluate";
import { isClusterInternal, isLoopback, parseAddress } from "../policy/hosts";
import { environmentOfStack, ENVIRONMENT_LEVELS, ENVIRONMENTS, NEVER_RELAXED, packConfigFor, policiesForStack } from "../policy/levels";
import { policies } from "../policy/policies";
import { filterVerdict } from "../policy/replication-filters";
import { build, findSpec, healthySpecs, secret, type ResourceSpec } from "./helpers/policy-harness";

const HARBOR = "registry-topology:harbor:Harbor::harbor";
const HOW = "Add a backup under `registry-topology:backups`";
const isPolicy = (s: ResourceSpec) => s.type === "pulumi-nodejs:dynamic/harbor:ReplicationPolicy";

async function violations(specs: ResourceSpec[], environment: (typeof ENVIRONMENTS)[number] = "prod") {
  const result = await evaluatePolicies(policies, build(specs), packConfigFor(environment));
  return result.violations.map((v) => ({ id: `${v.enforcementLevel} ${v.policy} ${v.resource ? `${v.resource.type}::${v.resource.name}` : "(stack)"}`, message: v.message }));
}

/** Exactly one violation, of `policy` on Harbor, mandatory; returns its message. */
async function blockedBy(specs: ResourceSpec[], policy: string, environment: (typeof ENVIRONMENTS)[number] = "prod"): Promise<string> {
  const vs = await violations(specs, environment);
  expect(vs.map((v) => v.id)).toEqual([`mandatory ${policy} ${HARBOR}`]);
  expect(vs[0]!.message).toContain(HOW);
  return vs[0]!.message;
}

/** Harbor reached at `url` (hostname from it), as every Harbor resource of ours calls it. */
function harborAt(specs: ResourceSpec[], url: string): ResourceSpec[] {
  findSpec(specs, "harbor").props.hostname = new URL(url).hostname;
  for (const s of specs) if (s.type.startsWith("pulumi-nodejs:dynamic/harbor:")) s.props!.harborUrl = url;
  return specs;
}

function backupAt(specs: ResourceSpec[], url: string, failureDomain = "nas-dc2"): ResourceSpec[] {
  Object.assign(findSpec(specs, "acr-weu").props, { kind: "oci", failureDomain });
  findSpec(specs, "harbor-endpoint-acr-weu").props.url = url;
  return specs;
}

function replicateWith(specs: ResourceSpec[], change: (props: Record<string, unknown>) => void): ResourceSpec[] {
  for (const s of specs.filter(isPolicy)) change(s.props!);
  return specs;
}

describe("enforcement levels come from the stack name", () => {
  it("maps a stack name to its environment, anything else to prod's rules", () => {
    expect(ENVIRONMENTS.map(environmentOfStack)).toEqual([...ENVIRONMENTS]);
    expect(["acme/registry-topology/local", "local"].map(environmentOfStack)).toEqual(["local", "local"]);
    for (const other of ["stack", "", "prod-eu", "Local", "single-registry"]) expect(environmentOfStack(other)).toBe("prod");
  });

  it("never relaxes requires-backup-target, in any environment", () => {
    for (const env of ENVIRONMENTS) for (const p of NEVER_RELAXED) expect(ENVIRONMENT_LEVELS[env][p]).toBeUndefined();
    const local = policiesForStack(policies, "local");
    expect(local.map((p) => [p.name, p.enforcementLevel])).toEqual(
      policies.map((p) => [p.name, ["backup-outside-harbor-failure-domain", "mirrors-cover-every-region", "prod-has-archive"].includes(p.name) ? "advisory" : "mandatory"]),
    );
    // An unknown stack name gets prod's rules: every policy mandatory but the archive recommendation
    // (advisory by design; it applies only where the topology is prod).
    expect(policiesForStack(policies, "stack").filter((p) => p.enforcementLevel !== "mandatory").map((p) => [p.name, p.enforcementLevel])).toEqual([["prod-has-archive", "advisory"]]);
  });

  it("blocks zero backups in local, mandatory", async () => {
    const specs = healthySpecs().filter((s) => !s.type.startsWith("registry-topology:backups:") && !s.name.includes("acr-weu"));
    const vs = await violations(specs, "local");
    expect(vs.map((v) => v.id)).toEqual([`mandatory requires-backup-target ${HARBOR}`, "advisory mirrors-cover-every-region registry-topology:mirrors:RegionMirrors::eu-west"]);
    expect(vs[0]!.message).toContain("but it has no backup registry.");
  });

  it("relaxes in local only the failure-domain rule", async () => {
    const specs = healthySpecs();
    findSpec(specs, "acr-weu").props.failureDomain = "harbor-cluster";
    expect((await violations(specs, "local")).map((v) => v.id)).toEqual([`advisory backup-outside-harbor-failure-domain ${HARBOR}`]);
    expect((await violations(specs, "dev")).map((v) => v.id)).toEqual([`mandatory backup-outside-harbor-failure-domain ${HARBOR}`]);
  });
});

describe("a backup that is Harbor under another spelling", () => {
  // [backup URL, Harbor's URL, policy, message fragment]
  const cases: [string, string, string, string][] = [
    ["https://harbor.example.com./", "https://harbor.example.com", "requires-backup-target", "is Harbor itself (harbor.example.com:443 is where Harbor answers)"],
    ["https://HARBOR.Example.COM", "https://harbor.example.com", "requires-backup-target", "is Harbor itself"],
    ["https://ｈａｒｂｏｒ.example.com", "https://harbor.example.com", "requires-backup-target", "is Harbor itself"],
    ["https://harbor%2Eexample.com:443", "https://harbor.example.com", "requires-backup-target", "is Harbor itself"],
    ["http://harbor.example.com", "https://harbor.example.com", "requires-backup-target", "is Harbor itself (harbor.example.com:80 is where Harbor answers)"],
    ["https://harbor.example.com:5443", "https://harbor.example.com", "backup-outside-harbor-failure-domain", "is on Harbor's own machine (harbor.example.com:5443"],
    ["http://localhost:30002", "http://127.0.0.1:30002", "requires-backup-target", "is Harbor itself (localhost:30002"],
    ["http://127.8.9.10:30002", "http://127.0.0.1:30002", "requires-backup-target", "is Harbor itself"],
    ["http://[::1]:30002", "http://127.0.0.1:30002", "requires-backup-target", "is Harbor itself ([::1]:30002"],
    ["http://[::ffff:127.0.0.1]:30002", "http://localhost:30002", "requires-backup-target", "is Harbor itself (127.0.0.1:30002"],
    ["http://2130706433:30002", "http://127.0.0.1:30002", "requires-backup-target", "is Harbor itself (127.0.0.1:30002"],
    ["http://0x7f.1:30002", "http://127.0.0.1:30002", "requires-backup-target", "is Harbor itself (127.0.0.1:30002"],
    ["http://0177.0.0.1:30002", "http://127.0.0.1:30002", "requires-backup-target", "is Harbor itself (127.0.0.1:30002"],
    ["http://127.0.0.1:30002", "http://harbor.127.0.0.1.nip.io:30002", "requires-backup-target", "is Harbor itself (127.0.0.1:30002"],
    ["http://0x7f000001:30500", "http://harbor.127.0.0.1.nip.io:30002", "backup-outside-harbor-failure-domain", "is on Harbor's own machine (127.0.0.1:30500"],
    ["http://localhost.:5000", "https://harbor.example.com", "backup-outside-harbor-failure-domain", "is a loopback address, which from Harbor's job service is Harbor's own machine"],
    ["http://registry.backup.svc.cluster.local:5000", "https://harbor.example.com", "backup-outside-harbor-failure-domain", "is a cluster-internal name, resolved inside Harbor's own cluster"],
    ["http://registry.backup.svc:5000", "https://harbor.example.com", "backup-outside-harbor-failure-domain", "is a cluster-internal name"],
    ["http://harbor-registry:5000", "https://harbor.example.com", "backup-outside-harbor-failure-domain", "is a cluster-internal name"],
    ["http://Registry.Backup.SVC.cluster.local.:5000", "https://harbor.example.com", "backup-outside-harbor-failure-domain", "is a cluster-internal name"],
  ];
  it.each(cases)("%s (Harbor at %s) is blocked by %s", async (backup, harbor, policy, fragment) => {
    const message = await blockedBy(backupAt(harborAt(healthySpecs(), harbor), backup), policy);
    expect(message).toContain(`backup "acr-weu": its URL ${backup} `);
    expect(message).toContain(fragment);
  });

  it("compares with Harbor's externalURL host too, not only its hostname", async () => {
    const specs = backupAt(healthySpecs(), "https://registry.example.com/backup");
    expect(await violations(specs)).toEqual([]); // not Harbor's host: a real backup
    specs.push({ type: "kubernetes:helm.sh/v3:Release", name: "harbor-chart", props: { chart: "harbor", values: { externalURL: "https://Registry.Example.com" } } });
    expect(await blockedBy(specs, "requires-backup-target")).toContain("is Harbor itself (registry.example.com:443 is where Harbor answers)");
  });

  it.each(["http://harbor-registry:5000", "http://harbor-core.harbor.svc.cluster.local.", "http://HARBOR.harbor.svc:80", "https://harbor-nginx.harbor"])(
    "blocks Harbor's own in-cluster Service %s as Harbor itself (chart release harbor in namespace harbor)",
    async (url) => {
      const specs = backupAt(healthySpecs(), url);
      specs.push({ type: "kubernetes:helm.sh/v3:Release", name: "harbor-chart", props: { chart: "harbor", name: "harbor", namespace: "harbor", values: {} } });
      expect(await blockedBy(specs, "requires-backup-target")).toMatch(/is Harbor itself \(its Service harbor(-registry|-core|-nginx)? in namespace harbor\)/);
    },
  );

  it("counts the chart's exposed node ports as Harbor's", async () => {
    const specs = backupAt(harborAt(healthySpecs(), "http://10.0.0.5:30002"), "https://10.0.0.5:30003");
    specs.push({ type: "kubernetes:helm.sh/v3:Release", name: "harbor-chart", props: { chart: "harbor", values: { expose: { nodePort: { ports: { http: { nodePort: 30002 }, https: { nodePort: 30003 } } } } } } });
    expect(await blockedBy(specs, "requires-backup-target")).toContain("is Harbor itself (10.0.0.5:30003 is where Harbor answers)");
  });

  it("accepts a real backup elsewhere, also by address", async () => {
    expect(await violations(backupAt(healthySpecs(), "https://nas.dc2.example.com:5000"))).toEqual([]);
    expect(await violations(backupAt(harborAt(healthySpecs(), "http://10.0.0.5:30002"), "https://10.0.0.6:5000"))).toEqual([]);
  });
});

describe("replication that never runs or copies nothing", () => {
  it.each([
    ["0 0 3 30 2 *", "its cron \"0 0 3 30 2 *\" can never fire"],
    ["0 0 0 31 4 *", "its cron \"0 0 0 31 4 *\" can never fire"],
    ["0 0 0 31 2,4,6,9,11 *", "can never fire"],
    ["0 0 0 30-31 feb *", "can never fire"],
    ["0 0 0 , * *", "can never fire"],
    ["0 * * * * *", "Harbor refuses its cron \"0 * * * * *\": * is not allowed for the Minutes field"],
    ["30 0 0 * * *", "Harbor refuses its cron \"30 0 0 * * *\": the 1st field (indicating Seconds of time) of the cron setting must be 0"],
    ["0 0 0 1 1 7", "end of range (7) above maximum (6)"],
    ["@daily", "parser does not accept descriptors"],
    ["0 0 0 * *", "expected exactly 6 fields, found 5"],
  ])("a scheduled policy with cron %s", async (cron, fragment) => {
    const message = await blockedBy(replicateWith(healthySpecs(), (p) => Object.assign(p, { trigger: "scheduled", cron })), "requires-backup-target");
    expect(message).toContain(`replication policy "acr-weu-library" never runs: `);
    expect(message).toContain(fragment);
  });

  it.each(["0 0 3 29 2 *", "0 0 0 31 * *", "0 0 0 30 2 1", "0 0 */6 * * *", "0  0 3 * * *"])("accepts a cron that fires: %s", async (cron) => {
    expect(await violations(replicateWith(healthySpecs(), (p) => Object.assign(p, { trigger: "scheduled", cron })))).toEqual([]);
  });

  it.each([
    [{ pattern: "*", decoration: "excludes" }, `its tag filter excludes "*", which matches every tag`],
    [{ pattern: "**", decoration: "excludes" }, `its tag filter excludes "**", which matches every tag`],
    [{ pattern: "{*,v1}", decoration: "excludes" }, `which matches every tag`],
    [{ pattern: "release/*", decoration: "matches" }, `its tag filter "release/*" matches no valid tag`],
    [{ pattern: "@latest", decoration: "matches" }, `its tag filter "@latest" matches no valid tag`],
    [{ pattern: ".hidden*", decoration: "matches" }, `its tag filter ".hidden*" matches no valid tag`],
    [{ pattern: "v[", decoration: "matches" }, `its tag filter "v[" is not a valid pattern (doublestar returns ErrBadPattern), so Harbor's filter fails instead of copying`],
  ])("a tag filter %j", async (tag, fragment) => {
    const message = await blockedBy(replicateWith(healthySpecs(), (p) => ((p.filters as Record<string, unknown>).tag = tag)), "requires-backup-target");
    expect(message).toContain("no enabled replication policy copies the whole of project library (");
    expect(message).toContain(fragment);
  });

  it.each([
    [{ pattern: "*-snapshot", decoration: "excludes" }],
    [{ pattern: "v*", decoration: "matches" }],
    [{ pattern: "latest", decoration: "matches" }],
    [{ pattern: "{v,release-}[0-9]*", decoration: "matches" }],
  ])("accepts a tag filter that leaves tags to copy: %j", async (tag) => {
    expect(await violations(replicateWith(healthySpecs(), (p) => ((p.filters as Record<string, unknown>).tag = tag)))).toEqual([]);
  });

  it.each([
    ["libary/**", `"acr-weu-library": its name filter "libary/**" matches none of project library's repositories`],
    ["library", `its name filter "library" matches none of project library's repositories`],
    ["library/[", `its name filter "library/[" is not a valid pattern`],
    ["library/*", `"acr-weu-library": misses repositories such as library/team/a`],
    ["library/[a-m]*", "misses repositories such as library/z9"],
    ["library/{app,web}", "misses repositories such as library/a"],
  ])("a repository filter %s", async (name, fragment) => {
    const specs = healthySpecs();
    (findSpec(specs, "harbor-replication-acr-weu-library").props.filters as Record<string, unknown>).name = name;
    const message = await blockedBy(specs, "requires-backup-target");
    expect(message).toContain("no enabled replication policy copies the whole of project library (");
    expect(message).toContain(fragment);
  });

  it.each(["library/**", "**", "{library,apps}/**", "*/**", "lib*/**", ""])("accepts a repository filter that covers the project: %j", async (name) => {
    const specs = healthySpecs();
    (findSpec(specs, "harbor-replication-acr-weu-library").props.filters as Record<string, unknown>).name = name;
    expect(await violations(specs)).toEqual([]);
  });
});

describe("Harbor's matcher (doublestar v1.3.4, ported)", () => {
  // A selection of doublestar v1.3.4 doublestar_test.go `matchTests` (pattern, name, match, error);
  // all 101 rows of that table were run against the port while writing it, without a mismatch.
  const ERR = "ErrBadPattern";
  it.each([
    ["*", "", true],
    ["*", "/", false],
    ["a*", "ab/c", false],
    ["a*/b", "a/c/b", false],
    ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false],
    ["a*b?c*x", "abxbbxdbxebxczzx", true],
    ["ab[^b-d]", "abc", false],
    ["a?b", "a☺b", true],
    ["[\\-x]", "-", true],
    ["[]a]", "]", ERR],
    ["[x-]", "x", ERR],
    ["\\", "a", ERR],
    ["a[", "a", false],
    ["a[", "ab", ERR],
    ["a/**", "a", false],
    ["a/**", "a/b/c", true],
    ["**/c", "c", true],
    ["**/c", "a/abc", false],
    ["a/**/b", "a/b", true],
    ["a/\\**", "a/b/c", false],
    ["a/b/c", "a/b//c", false],
    ["ab{c,d}[", "abcd", ERR],
    ["a{,bc}", "a", true],
    ["a/{b/c,c/b}", "a/c/b", true],
    ["{a/{b,c},abc}", "a/b/c", false],
    ["{a/*}", "a/b", true],
    ["abc**", "abc/b", false],
    ["**/*.txt", "abc/【test】.txt", true],
  ] as [string, string, boolean | string][])("Match(%j, %j) = %s", (pattern, name, want) => {
    let got: boolean | string;
    try {
      got = doublestarMatch(pattern, name);
    } catch (e) {
      got = e instanceof BadPatternError ? ERR : String(e);
    }
    expect(got).toBe(want);
  });

  it("is Harbor's util.Match: an empty pattern matches everything", () => {
    expect(harborMatch("", "anything/at/all")).toBe(true);
    expect(() => harborMatch("[", "x")).toThrow(BadPatternError);
  });

  it("judges a whole project, a partial one and none", () => {
    expect(filterVerdict("data", "data/**").kind).toBe("ok");
    expect(filterVerdict("data", "data/*").kind).toBe("misses");
    expect(filterVerdict("data", "dat/**").kind).toBe("copies-nothing");
    expect(filterVerdict("data", "data/**", { pattern: "*", decoration: "excludes" }).kind).toBe("copies-nothing");
  });
});

describe("Harbor's cron (robfig/cron v3, six fields)", () => {
  it("validates like Harbor's replication model", () => {
    expect(harborCronError("0 0 */6 * * *")).toBeUndefined();
    expect(harborCronError("")).toBe("the cron string cannot be empty when the trigger type is scheduled");
    expect(harborCronError("0 0 0 1 13 *")).toContain("end of range (13) above maximum (12)");
    expect(harborCronError("0 0 0 0 1 *")).toContain("beginning of range (0) below minimum (1)");
    expect(harborCronError("0 0 5-1 * * *")).toContain("beginning of range (5) beyond end of range (1)");
    expect(harborCronError("0 0 */0 * * *")).toContain("step of range should be a positive number");
  });

  it("knows which calendars can fire (day-of-month and day-of-week: both with *, either without)", () => {
    expect(cronCanFire(parseCron("0 0 0 29 2 *"))).toBe(true);
    expect(cronCanFire(parseCron("0 0 0 30 2 *"))).toBe(false);
    expect(cronCanFire(parseCron("0 0 0 30 2 ?"))).toBe(false);
    expect(cronCanFire(parseCron("0 0 0 30 2 */2"))).toBe(true); // a step > 1 drops the star: either matches
    expect(cronCanFire(parseCron("0 0 0 31 jun-sep/3 *"))).toBe(false); // jun, sep: 30 days
    expect(cronCanFire(parseCron("0 0 0 31 jun-sep/2 *"))).toBe(true); // jun, aug
    expect(cronNeverRuns("0 0 3 * * mon-fri")).toBeUndefined();
  });

  it("judges the cron Harbor receives (trimmed, single blanks), and agrees with the provider's check", () => {
    expect(cronNeverRuns(" 0 0 */6  * * *")).toBeUndefined();
    for (const cron of ["0 0 */6 * * *", "0 0 ? * * *", "0 30 2 * * ?", "0 0 3 30 2 *", "1 0 * * * *", "0 * 2 * * *", "0 0 25 * * *"]) {
      expect(harborCronProblem(cron) === undefined, cron).toBe(harborCronError(cron) === undefined);
    }
  });
});

describe("hosts, as a resolver reads them", () => {
  it.each([
    ["https://HARBOR.example.com.", "harbor.example.com", 443],
    ["harbor.example.com.:5443/v2", "harbor.example.com", 5443],
    ["http://2130706433", "127.0.0.1", 80],
    ["0x7f.0.0.1", "127.0.0.1", 443],
    ["127.1", "127.0.0.1", 443],
    ["[0:0:0:0:0:0:0:1]:5000", "::1", 5000],
    ["[::ffff:7f00:1]", "127.0.0.1", 443],
    ["app-10-0-0-5.sslip.io", "10.0.0.5", 443],
    ["registry.192.168.1.20.nip.io:5000", "192.168.1.20", 5000],
  ] as [string, string, number][])("%s is %s:%d", (input, host, port) => {
    expect(parseAddress(input)).toEqual({ host, port });
  });

  it("tells loopback and cluster-internal names", () => {
    for (const h of ["localhost", "a.localhost", "127.255.0.1", "::1", "0.0.0.0", "2130706433"]) expect(isLoopback(h)).toBe(true);
    for (const h of ["10.0.0.1", "128.0.0.1", "localhost.example.com"]) expect(isLoopback(h)).toBe(false);
    for (const h of ["registry", "registry.backup.svc", "registry.backup.svc.cluster.local", "x.cluster.local."]) expect(isClusterInternal(h)).toBe(true);
    for (const h of ["registry.example.com", "10.0.0.1", "localhost", "svc.example.com"]) expect(isClusterInternal(h)).toBe(false);
  });
});

describe("credentials-are-secret covers generated values that become credentials", () => {
  const SECRET = "harbor-internal-secrets";
  const generated = (type: string, name: string, aso: string[] = []): ResourceSpec => ({ type, name, props: { length: 16 }, additionalSecretOutputs: aso });
  const feeding = (specs: ResourceSpec[], ...names: string[]) => {
    findSpec(specs, SECRET).dependsOn = names;
    return specs;
  };

  it.each([
    ["random:index/randomString:RandomString", [], "id, result"],
    ["random:index/randomString:RandomString", ["result"], "id"],
    ["random:index/randomBytes:RandomBytes", [], "base64, hex"],
    ["random:index/randomId:RandomId", ["hex"], "id, b64Std, b64Url, dec"],
    ["random:index/randomPassword:RandomPassword", ["result"], "bcryptHash"],
    ["tls:index/privateKey:PrivateKey", ["privateKeyPem"], "privateKeyOpenssh, privateKeyPemPkcs8"],
  ] as [string, string[], string][])("%s feeding Harbor's internal Secret with %j declared", async (type, aso, plain) => {
    const specs = feeding([...healthySpecs(), generated(type, "harbor-secret-key", aso)], "harbor-secret-key");
    const vs = await violations(specs);
    expect(vs.map((v) => v.id)).toEqual([`mandatory credentials-are-secret ${type}::harbor-secret-key`]);
    expect(vs[0]!.message).toContain(`(it feeds Secret::${SECRET}), but its output${plain.includes(",") ? "s" : ""} ${plain} `);
  });

  it("passes a RandomPassword, or a RandomBytes with every value output declared secret", async () => {
    const specs = feeding([...healthySpecs(), generated("random:index/randomPassword:RandomPassword", "harbor-secret-key", ["result", "bcryptHash"])], "harbor-secret-key");
    expect(await violations(specs)).toEqual([]);
    const bytes = feeding([...healthySpecs(), generated("random:index/randomBytes:RandomBytes", "harbor-secret-key", ["base64", "hex"])], "harbor-secret-key");
    expect(await violations(bytes)).toEqual([]);
  });

  it("tells a RandomString feeding a credential to use RandomPassword: its ID is the value, and IDs are never encrypted", async () => {
    const specs = feeding([...healthySpecs(), generated("random:index/randomString:RandomString", "harbor-secret-key", ["result"])], "harbor-secret-key");
    const vs = await violations(specs);
    expect(vs[0]!.message).toContain("Its resource ID is the value itself, and IDs are never encrypted: use random.RandomPassword");
  });

  it("also when the credential is a property of a dynamic resource, and in the CLI's shape (property dependencies)", async () => {
    const specs = [...healthySpecs(), generated("random:index/randomPassword:RandomPassword", "oci-push-password", ["bcryptHash"])];
    findSpec(specs, "harbor-endpoint-acr-weu").propertyDependsOn = { accessSecret: ["oci-push-password"] };
    for (const shape of ["offline", "cli"] as const) {
      const result = await evaluatePolicies(policies, build(specs, shape), packConfigFor("prod"));
      expect(result.violations.map((v) => [v.policy, v.resource?.name])).toEqual([["credentials-are-secret", "oci-push-password"]]);
    }
  });

  it("leaves alone a generated value that feeds no credential (a name suffix)", async () => {
    const specs = [...healthySpecs(), generated("random:index/randomString:RandomString", "name-suffix")];
    findSpec(specs, "acr-weu-registry").dependsOn = ["name-suffix"];
    findSpec(specs, "harbor-endpoint-acr-weu").propertyDependsOn = { url: ["name-suffix"] };
    expect(await violations(specs)).toEqual([]);
    // ...but a Secret built from it makes it a credential.
    specs.push({ type: "kubernetes:core/v1:Secret", name: "pull", props: { stringData: secret({ token: "x" }) }, additionalSecretOutputs: ["data", "stringData"], dependsOn: ["name-suffix"] });
    expect((await violations(specs)).map((v) => v.id)).toEqual(["mandatory credentials-are-secret random:index/randomString:RandomString::name-suffix"]);
  });
});
