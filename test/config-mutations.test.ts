// Mutation suite: invalid stacks derived from the four shipped ones, each validated with the pure
// loader (stack document -> engine config -> TopologyConfig, no Pulumi runtime). Every one must be
// refused with a keyed error: a problem line that starts with the exact key path and says what
// is expected. Generated mutations (every leaf of every stack: wrong type; every number: out of
// range) plus targeted ones for each class of issue 11.
import * as fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, PROJECT } from "../infra/config";
import { topologyConfigFromEntries } from "../infra/config/loader";
import { formatPath } from "../infra/config/format";
import { listStacks, parseStackFileText, readProjectConfig, stackConfigFromDocument, stackFilePath } from "../infra/offline/stackFiles";

// Stack documents are mutated deep inside freely; typing every shape would hide what each case changes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = Record<string, any>;
type Key = string | number;

const project = readProjectConfig();
const shipped = new Map(listStacks().map((s) => [s, parseStackFileText(fs.readFileSync(stackFilePath(s), "utf8"), s) as Raw] as const));
const OUR_KEYS = ["environment", "allowInsecureUpstreams", "harbor", "backups", "replication", "regions"];

/** Validate a stack document the way `npm run render` would, without the Pulumi runtime. */
function problems(stack: string, doc: Raw): string[] {
  const sc = stackConfigFromDocument(stack, doc, project);
  try {
    topologyConfigFromEntries(sc.config, (k) => sc.secretKeys.includes(k));
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

interface Mutation {
  title: string;
  stack: string;
  mutate: (doc: Raw) => void;
  /** Exact key path the error must start with. */
  path: string;
  /** What the error must say is expected. */
  expected: RegExp;
}

const mutations: Mutation[] = [];
const add = (m: Mutation) => mutations.push(m);
const cfg = (doc: Raw, key: string) => doc.config[`${PROJECT}:${key}`];

function get(doc: Raw, path: Key[]): unknown {
  let cur: unknown = doc.config[`${PROJECT}:${path[0]}`];
  for (const k of path.slice(1)) cur = (cur as Raw)[k];
  return cur;
}
function set(doc: Raw, path: Key[], value: unknown): void {
  if (path.length === 1) {
    doc.config[`${PROJECT}:${path[0]}`] = value;
    return;
  }
  (get(doc, path.slice(0, -1)) as Raw)[path.at(-1)!] = value;
}

/** Every value under our keys, with its path (containers and leaves). */
function walk(value: unknown, path: Key[], out: [Key[], unknown][]): [Key[], unknown][] {
  out.push([path, value]);
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i], out));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...path, k], out);
  return out;
}

const wrongType = (v: unknown): unknown =>
  typeof v === "string" ? 42 : typeof v === "number" ? String(v) : typeof v === "boolean" ? "yes" : Array.isArray(v) ? "a-string" : ["a", "list"];
const TYPE_EXPECTED = /expected (string|number|a whole number|boolean|array|object|record|one of|[a-z]+ to be one of)/;

// Generated: every value of every shipped stack replaced by one of the wrong type; every number
// made fractional, negative and huge.
for (const [stack, doc] of shipped) {
  for (const key of OUR_KEYS) {
    const value = doc.config?.[`${PROJECT}:${key}`];
    if (value === undefined) continue;
    for (const [path, v] of walk(value, [key], [])) {
      const shown = formatPath(path);
      add({ title: `${stack}: ${shown} of the wrong type`, stack, mutate: (d) => set(d, path, wrongType(v)), path: shown, expected: TYPE_EXPECTED });
      if (typeof v === "number") {
        add({ title: `${stack}: ${shown} fractional`, stack, mutate: (d) => set(d, path, v + 0.5), path: shown, expected: /expected a whole number/ });
        add({ title: `${stack}: ${shown} negative`, stack, mutate: (d) => set(d, path, -1), path: shown, expected: /expected at least \d+/ });
        add({ title: `${stack}: ${shown} huge`, stack, mutate: (d) => set(d, path, 2 ** 53), path: shown, expected: /expected at most \d+/ });
      }
    }
  }
}

// Generated: every required key deleted.
const required: [string, Key[], RegExp][] = [
  ["*", ["environment"], /expected one of "local" \| "dev" \| "staging" \| "prod", found nothing/],
  ["*", ["harbor"], /expected object, found nothing/],
  ["*", ["harbor", "hostname"], /expected string, found nothing/],
  ["*", ["harbor", "expose"], /expected object, found nothing/],
  ["*", ["harbor", "projects"], /expected array, found nothing/],
  ["*", ["regions", 0, "mirrorAddresses"], /expected array, found nothing/],
  ["*", ["regions", 0, "runtimes"], /expected array, found nothing/],
  ["*", ["regions", 0, "mirrorNodes"], /expected object, found nothing/],
  ["*", ["regions", 0, "name"], /expected string, found nothing/],
  ["*", ["backups", 0, "name"], /expected string, found nothing/],
  ["*", ["backups", 0, "kind"], /expected kind to be one of/],
  ["dev", ["backups", 0, "registryName"], /expected string, found nothing/],
  ["staging", ["backups", 1, "accountId"], /expected string, found nothing/],
  ["prod", ["harbor", "database", "host"], /expected string, found nothing/],
  ["local", ["backups", 0, "inCluster", "nodeAddress"], /expected string, found nothing/],
];
for (const [only, path, expected] of required) {
  for (const stack of shipped.keys()) {
    if (only !== "*" && only !== stack) continue;
    const shown = formatPath(path);
    add({
      title: `${stack}: ${shown} deleted`,
      stack,
      mutate: (d) => (path.length === 1 ? delete d.config[`${PROJECT}:${path[0]}`] : delete (get(d, path.slice(0, -1)) as Raw)[path.at(-1)!]),
      path: shown,
      expected,
    });
  }
}

// Targeted: one per class of mistake in issue 11.
type T = [stack: string, title: string, mutate: (d: Raw) => void, path: string, expected: RegExp];
const targeted: T[] = [
  // silent acceptance
  ["dev", "misspelled namespace registry-topolgy", (d) => {
    d.config["registry-topolgy:replication"] = cfg(d, "replication");
    delete d.config[`${PROJECT}:replication`];
  }, "registry-topolgy:replication", /unknown namespace "registry-topolgy".*did you mean "registry-topology:replication"/],
  ["prod", "namespace with other case", (d) => (d.config["Registry-Topology:speed"] = "1"), "Registry-Topology:speed", /did you mean "registry-topology:speed"/],
  ["staging", "unknown key under a near-miss namespace", (d) => (d.config["registry_topology:harbr"] = "{}"), "registry_topology:harbr", /unknown namespace.*did you mean "registry-topology:harbr"/],
  ["local", "unknown top-level key", (d) => (d.config[`${PROJECT}:regoins`] = []), "regoins", /unknown key; did you mean "regions"\? expected one of/],
  ["local", "key without a namespace", (d) => (d.config.environment = "local"), "environment", /needs a namespace; expected "registry-topology:environment"/],
  ["dev", "impossible IPv4 mirror address", (d) => (cfg(d, "regions")[0].mirrorAddresses[0] = "10.10.0.256"), "regions[0].mirrorAddresses[0]", /not a valid IPv4 address: expected four numbers 0-255/],
  ["prod", "IPv4 with five parts", (d) => (cfg(d, "regions")[1].mirrorAddresses[1] = "10.2.0.1.2"), "regions[1].mirrorAddresses[1]", /not a valid IPv4 address/],
  ["staging", "IPv4 with three parts", (d) => (cfg(d, "regions")[1].mirrorAddresses[0] = "10.30.0"), "regions[1].mirrorAddresses[0]", /not a valid IPv4 address/],
  ["local", "in-cluster node address 999.0.0.1", (d) => (cfg(d, "backups")[0].inCluster.nodeAddress = "999.0.0.1"), "backups[0].inCluster.nodeAddress", /not a valid IPv4 address/],
  ["dev", "hostname with an empty label", (d) => (cfg(d, "harbor").hostname = "harbor..example.com"), "harbor.hostname", /no empty labels/],
  ["staging", "hostname with a trailing dot", (d) => (cfg(d, "harbor").hostname = "harbor.staging.example.com."), "harbor.hostname", /no empty labels/],
  ["prod", "hostname with a leading dot", (d) => (cfg(d, "harbor").hostname = ".example.com"), "harbor.hostname", /no empty labels/],
  ["local", "empty hostname", (d) => (cfg(d, "harbor").hostname = ""), "harbor.hostname", /expected a DNS name/],
  ["prod", "database host with an empty label", (d) => (cfg(d, "harbor").database.host = "pg..azure.com"), "harbor.database.host", /no empty labels/],
  ["prod", "mirror address that is an empty label", (d) => (cfg(d, "regions")[2].mirrorAddresses[0] = "edge."), "regions[2].mirrorAddresses[0]", /no empty labels/],
  // crashes and secrets in URLs
  ["dev", "oci url with port 99999", (d) => cfg(d, "backups").push(nas("https://nas.example.com:99999")), "backups[1].url", /expected a port from 1 to 65535, found 99999/],
  ["dev", "oci url with port 0", (d) => cfg(d, "backups").push(nas("https://nas.example.com:0")), "backups[1].url", /expected a port from 1 to 65535, found 0/],
  ["staging", "oci url with a non-numeric port", (d) => cfg(d, "backups").push(nas("https://nas.example.com:http")), "backups[2].url", /expected a numeric port/],
  ["prod", "oci url with a password", (d) => cfg(d, "backups").push(nas("https://robot:hunter2@nas.example.com")), "backups[2].url", /holds a password.*pulumi config set --secret --path 'backups\[2\]\.push\.password' <value>/],
  // A password may hold '/' or '@' (base64): still recognised as one, never echoed.
  ["prod", "oci url with a password holding '/'", (d) => cfg(d, "backups").push(nas("https://robot:hunter2/x@nas.example.com")), "backups[2].url", /holds a password/],
  ["prod", "oci url with a password holding '@'", (d) => cfg(d, "backups").push(nas("https://robot:hunter2@x@nas.example.com")), "backups[2].url", /holds a password/],
  ["prod", "oci url with a user name", (d) => cfg(d, "backups").push(nas("https://robot@nas.example.com")), "backups[2].url", /holds a user name: remove it/],
  ["dev", "oci url with an impossible IPv4", (d) => cfg(d, "backups").push(nas("https://10.0.0.300:5000")), "backups[1].url", /not a valid IPv4 address/],
  ["dev", "oci url with an empty path segment", (d) => cfg(d, "backups").push(nas("https://nas.example.com/a//b")), "backups[1].url", /empty segment/],
  ["staging", "externalUrl with port 0", (d) => (cfg(d, "harbor").externalUrl = "https://harbor.staging.example.com:0"), "harbor.externalUrl", /expected a port from 1 to 65535/],
  ["staging", "externalUrl with a path", (d) => (cfg(d, "harbor").externalUrl = "https://harbor.staging.example.com/harbor"), "harbor.externalUrl", /without a path/],
  ["prod", "redis port 0", (d) => (cfg(d, "harbor").redis.addr = "harbor-redis.redis.cache.windows.net:0"), "harbor.redis.addr", /expected a port from 1 to 65535/],
  ["prod", "redis port 70000", (d) => (cfg(d, "harbor").redis.addr = "harbor-redis.redis.cache.windows.net:70000"), "harbor.redis.addr", /expected a port from 1 to 65535/],
  ["prod", "database port 0", (d) => (cfg(d, "harbor").database.port = 0), "harbor.database.port", /expected at least 1/],
  // would fail at apply: names and ports
  ["local", "in-cluster backup in Harbor's namespace", (d) => (cfg(d, "backups")[0].inCluster.namespace = "harbor"), "backups[0].inCluster.namespace", /also created for harbor\.namespace.*expected a namespace of its own/],
  ["local", "two in-cluster backups in one namespace", (d) => cfg(d, "backups").push({ ...structuredClone(cfg(d, "backups")[0]), name: "local-oci-2", inCluster: { ...cfg(d, "backups")[0].inCluster, nodePort: 30501 } }), "backups[1].inCluster.namespace", /also created for backups\[0\]\.inCluster\.namespace/],
  ["local", "in-cluster backup in kube-system", (d) => (cfg(d, "backups")[0].inCluster.namespace = "kube-system"), "backups[0].inCluster.namespace", /exists in every cluster.*expected a namespace of its own/],
  ["dev", "Harbor in the default namespace", (d) => (cfg(d, "harbor").namespace = "default"), "harbor.namespace", /exists in every cluster/],
  ["dev", "TLS Secret named like the program's own Secret", (d) => (cfg(d, "harbor").expose.tlsSecretName = "harbor-internal-secrets"), "harbor.expose.tlsSecretName", /is the Secret this program creates in Harbor's namespace.*expected the name of another, existing Secret/],
  ["prod", "database Secret named like the program's own Secret", (d) => (cfg(d, "harbor").database.passwordSecretName = "harbor-internal-secrets"), "harbor.database.passwordSecretName", /Secret this program creates/],
  ["local", "in-cluster node port equal to Harbor's", (d) => (cfg(d, "backups")[0].inCluster.nodePort = 30003), "backups[0].inCluster.nodePort", /node port 30003 is also harbor\.expose\.httpsNodePort.*expected a different one/],
  ["local", "Harbor's two node ports equal", (d) => (cfg(d, "harbor").expose.httpsNodePort = 30002), "harbor.expose.httpsNodePort", /node port 30002 is also harbor\.expose\.httpNodePort/],
  ["dev", "mirror ports on the kubelet port", (d) => (cfg(d, "regions")[0].mirrorPortBase = 10250), "regions[0].mirrorPortBase", /include 10250 \(kubelet API\), already used on nodes; expected a range clear of it/],
  ["dev", "mirror port range reaching the kubelet port", (d) => (cfg(d, "regions")[0].mirrorPortBase = 10249), "regions[0].mirrorPortBase", /include 10249 \(kube-proxy metrics\), 10250 \(kubelet API\)/],
  ["prod", "mirror ports on kube-proxy metrics", (d) => (cfg(d, "regions")[0].mirrorPortBase = 10248), "regions[0].mirrorPortBase", /include 10248 \(kubelet healthz\), 10249 \(kube-proxy metrics\), 10250 \(kubelet API\).*clear of them/],
  ["staging", "mirror ports on kube-proxy healthz", (d) => (cfg(d, "regions")[1].mirrorPortBase = 10256), "regions[1].mirrorPortBase", /include 10256 \(kube-proxy healthz\)/],
  ["local", "mirror ports on node-exporter", (d) => (cfg(d, "regions")[0].mirrorPortBase = 9099), "regions[0].mirrorPortBase", /include 9100 \(node-exporter\)/],
  ["prod", "mirror ports on the API server", (d) => (cfg(d, "regions")[2].mirrorPortBase = 6442), "regions[2].mirrorPortBase", /include 6443/],
  ["local", "mirror ports in the node-port range", (d) => (cfg(d, "regions")[0].mirrorPortBase = 30500), "regions[0].mirrorPortBase", /overlap the Service node-port range 30000-32767.*expected ports below 30000/],
  ["prod", "two regions' mirrors on the same address and ports", (d) => (cfg(d, "regions")[1].mirrorAddresses = ["10.1.0.11"]), "regions[1].mirrorPortBase", /overlap regions\[0\]'s ports 5000-5002 on the same mirror nodes.*expected mirrorPortBase 5003 or higher/],
  ["staging", "two regions with the same mirror nodes and ports", (d) => (cfg(d, "regions")[1].mirrorNodes = structuredClone(cfg(d, "regions")[0].mirrorNodes)), "regions[1].mirrorPortBase", /overlap regions\[0\]'s ports/],
  ["dev", "duplicate mirror address", (d) => cfg(d, "regions")[0].mirrorAddresses.push("10.10.0.11"), "regions[0].mirrorAddresses[2]", /listed twice.*must be unique/],
  ["prod", "upstream listed twice in upstreamOrder", (d) => cfg(d, "regions")[1].upstreamOrder.push("harbor"), "regions[1].upstreamOrder[3]", /listed twice.*name it once/],
  ["prod", "geo-replication location listed twice", (d) => cfg(d, "backups")[0].geoReplicationLocations.push("eastus2"), "backups[0].geoReplicationLocations[1]", /listed twice/],
  ["dev", "unpublished chart version", (d) => (cfg(d, "harbor").chartVersion = "1.19.2"), "harbor.chartVersion", /expected one of "1\.19\.0" \| "1\.19\.1"/],
  ["staging", "older chart line", (d) => (cfg(d, "harbor").chartVersion = "1.18.4"), "harbor.chartVersion", /expected one of "1\.19\.0"/],
  ["prod", "chart version that never existed", (d) => (cfg(d, "harbor").chartVersion = "9.9.9"), "harbor.chartVersion", /expected one of/],
  ["dev", "label key with two slashes", (d) => (cfg(d, "regions")[0].mirrorNodes.nodeSelector["a/b/c"] = "x"), 'regions[0].mirrorNodes.nodeSelector["a/b/c"]', /invalid label key: .*more than one '\/'/],
  ["prod", "label key with an uppercase prefix", (d) => (cfg(d, "regions")[0].nodes.nodeSelector["Example.com/zone"] = "a"), 'regions[0].nodes.nodeSelector["Example.com/zone"]', /prefix "Example\.com" is not a lowercase DNS subdomain/],
  ["staging", "label key with an empty prefix", (d) => (cfg(d, "regions")[0].nodes.nodeSelector["/zone"] = "a"), 'regions[0].nodes.nodeSelector["/zone"]', /empty prefix/],
  ["local", "label key starting with '-'", (d) => (cfg(d, "regions")[0].mirrorNodes.nodeSelector["-os"] = "linux"), 'regions[0].mirrorNodes.nodeSelector["-os"]', /must start and end with a letter or digit/],
  ["dev", "label name part of 64 characters", (d) => (cfg(d, "regions")[0].nodes.nodeSelector[`example.com/${"a".repeat(64)}`] = "x"), `regions[0].nodes.nodeSelector["example.com/${"a".repeat(64)}"]`, /longer than 63 characters/],
  ["prod", "label prefix of 254 characters", (d) => (cfg(d, "regions")[2].nodes.nodeSelector[`${"a.".repeat(127)}b/zone`] = "x"), `regions[2].nodes.nodeSelector["${"a.".repeat(127)}b/zone"]`, /longer than 253 characters/],
  ["staging", "label value with a space", (d) => (cfg(d, "regions")[1].nodes.nodeSelector["topology.kubernetes.io/region"] = "us east4"), 'regions[1].nodes.nodeSelector["topology.kubernetes.io/region"]', /invalid label value: .*start and end with a letter or digit/],
  ["local", "label value of 64 characters", (d) => (cfg(d, "regions")[0].mirrorNodes.nodeSelector["kubernetes.io/os"] = "l".repeat(64)), 'regions[0].mirrorNodes.nodeSelector["kubernetes.io/os"]', /at most 63 characters/],
  ["dev", "annotation key with a space", (d) => (cfg(d, "harbor").expose.annotations = { "nginx.ingress.kubernetes.io/proxy body size": "0" }), 'harbor.expose.annotations["nginx.ingress.kubernetes.io/proxy body size"]', /invalid annotation key/],
  ["staging", "load-balancer IP 300.0.0.1", (d) => (cfg(d, "harbor").expose.ip = "300.0.0.1"), "harbor.expose.ip", /expected an IPv4 or IPv6 address/],
  ["staging", "load-balancer IP given as a CIDR", (d) => (cfg(d, "harbor").expose.ip = "203.0.113.10/32"), "harbor.expose.ip", /expected an IPv4 or IPv6 address/],
  ["staging", "load-balancer IP with a leading zero", (d) => (cfg(d, "harbor").expose.ip = "203.0.113.010"), "harbor.expose.ip", /expected an IPv4 or IPv6 address/],
  ["staging", "source range with prefix 33", (d) => (cfg(d, "harbor").expose.sourceRanges[0] = "10.0.0.0/33"), "harbor.expose.sourceRanges[0]", /prefix length from 0 to 32/],
  ["staging", "source range without a prefix", (d) => (cfg(d, "harbor").expose.sourceRanges[0] = "10.0.0.0"), "harbor.expose.sourceRanges[0]", /expected a CIDR such as 10\.0\.0\.0\/8/],
  ["staging", "source range with an impossible address", (d) => (cfg(d, "harbor").expose.sourceRanges[0] = "256.0.0.0/8"), "harbor.expose.sourceRanges[0]", /address part is not an IPv4 or IPv6 address/],
  ["staging", "IPv6 source range with prefix 129", (d) => cfg(d, "harbor").expose.sourceRanges.push("fd00::/129"), "harbor.expose.sourceRanges[1]", /prefix length from 0 to 128/],
  ["prod", "replication speed beyond Harbor's int32", (d) => (cfg(d, "replication").speedLimitKbps = 2 ** 31), "replication.speedLimitKbps", /expected at most 2147483647/],
  ["dev", "project quota beyond Harbor's 1024 TB limit", (d) => (cfg(d, "harbor").projects[0].storageQuotaGiB = 2 ** 40), "harbor.projects[0].storageQuotaGiB", /expected at most 1048576/],
  ["prod", "seven replicas of nothing: replicas 0", (d) => (cfg(d, "harbor").replicas.core = 0), "harbor.replicas.core", /expected at least 1/],
  ["dev", "dial timeout 0", (d) => (cfg(d, "regions")[0].dialTimeoutSeconds = 0), "regions[0].dialTimeoutSeconds", /expected at least 1/],
  ["dev", "mirror port base 0", (d) => (cfg(d, "regions")[0].mirrorPortBase = 0), "regions[0].mirrorPortBase", /expected at least 1024/],
  ["local", "in-cluster node port 0", (d) => (cfg(d, "backups")[0].inCluster.nodePort = 0), "backups[0].inCluster.nodePort", /expected at least 30000/],
  ["local", "Harbor node port 0", (d) => (cfg(d, "harbor").expose.httpNodePort = 0), "harbor.expose.httpNodePort", /expected at least 30000/],
  ["prod", "storage class with an uppercase letter", (d) => (cfg(d, "harbor").storage.storageClass = "Premium_LRS"), "harbor.storage.storageClass", /expected a Kubernetes object name/],
  ["dev", "ingress class with a space", (d) => (cfg(d, "harbor").expose.className = "nginx public"), "harbor.expose.className", /expected a Kubernetes object name/],
  ["local", "in-cluster storage class ending in '-'", (d) => (cfg(d, "backups")[0].inCluster.storageClass = "local-"), "backups[0].inCluster.storageClass", /expected a Kubernetes object name/],
  // collisions between names
  ["prod", "duplicate backup names", (d) => (cfg(d, "backups")[1].name = "acr-neu"), "backups[1].name", /duplicate backup name "acr-neu".*must be unique/],
  ["staging", "duplicate region names", (d) => (cfg(d, "regions")[1].name = "eu-central"), "regions[1].name", /duplicate region name "eu-central"/],
  ["dev", "duplicate project", (d) => cfg(d, "harbor").projects.push({ name: "apps" }), "harbor.projects[3].name", /duplicate project "apps"/],
  ["dev", "proxy-cache project that is replicated", (d) => (cfg(d, "harbor").dockerHubProxyCache.project = "library"), "harbor.dockerHubProxyCache.project", /needs a project of its own/],
  ["prod", "unknown upstream in upstreamOrder", (d) => (cfg(d, "regions")[1].upstreamOrder[1] = "gar-usc"), "regions[1].upstreamOrder[1]", /unknown upstream "gar-usc"; expected "harbor" or a backup name/],
  ["local", "misspelled key inside harbor", (d) => (cfg(d, "harbor").namesapce = "harbor"), "harbor.namesapce", /unknown key; did you mean "namespace"\? remove it or check its spelling/],
];
function nas(url: string) {
  return { name: "nas", kind: "oci", url, failureDomain: "dc2", push: { username: "robot", password: { secure: "v1:abc" } } };
}
for (const [stack, title, mutate, path, expected] of targeted) add({ title: `${stack}: ${title}`, stack, mutate, path, expected });

const rejected: string[] = [];

describe("shipped stacks", () => {
  it.each([...shipped.keys()])("%s is valid", (stack) => {
    expect(problems(stack, structuredClone(shipped.get(stack)!))).toEqual([]);
  });
});

describe(`config mutations: ${mutations.length} invalid stacks derived from ${shipped.size} shipped ones`, () => {
  it.each(mutations.map((m) => [m.title, m] as const))("%s", (_title, m) => {
    const doc = structuredClone(shipped.get(m.stack)!) as Raw;
    m.mutate(doc);
    const found = problems(m.stack, doc);
    const line = found.find((p) => p.startsWith(`${m.path}: `));
    expect(line, `no problem at ${m.path}; got:\n${found.join("\n") || "(accepted)"}`).toBeDefined();
    expect(line).toMatch(m.expected);
    // Never a credential, never a password from a URL.
    expect(found.join("\n")).not.toMatch(/hunter2|v1:abc/);
    rejected.push(m.title);
  });

  afterAll(() => {
    console.log(`config mutations: ${rejected.length} of ${mutations.length} rejected with keyed errors`);
  });
});
