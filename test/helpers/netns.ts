/**
 * A network namespace made by the test (root only), joined to the host by a veth pair on a /30 of
 * 10.231.0.0/16 that nothing else on the machine uses. Processes started with `spawn` run inside
 * it; firewall rules (`dropPort`) live only there and vanish with it. `destroy()` removes the
 * namespace, its veth pair and therefore every rule; processes are the caller's to stop (by PID).
 *
 *   const ns = await createNetNs();        // ns.nsIp: the namespace's address, reachable from here
 *   const child = ns.spawn("docker-registry", ["serve", cfg], { stdio: [...] });
 *   await ns.dropPort(5000);               // SYNs to ns.nsIp:5000 (and 127.0.0.1:5000 inside) dropped
 *   await ns.destroy();
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { run, type CommandResult } from "./oci-image";

/** iproute2's ip by absolute path: a caller's PATH (e.g. busybox applets only) must not pick another. */
const IP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => fs.existsSync(p)) ?? "ip";

export interface NetNs {
  name: string;
  /** Address of the host end of the veth pair. */
  hostIp: string;
  /** Address inside the namespace (servers there listen on it; the test reaches it over the veth). */
  nsIp: string;
  spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
  run(cmd: string, args: string[], timeoutMs?: number): Promise<CommandResult>;
  /** iptables DROP for new TCP packets to `port` inside the namespace ("black-holed"). */
  dropPort(port: number): Promise<void>;
  undropPort(port: number): Promise<void>;
  destroy(): Promise<void>;
}

async function must(cmd: string, args: string[]): Promise<CommandResult> {
  const r = await run(cmd, args, 20_000);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr.trim()}`);
  return r;
}

/**
 * Root can make network namespaces. Off root the drill is skipped, except in CI (CI=true), where a
 * skipped drill would hide a missing capability: there it runs and fails loudly instead.
 */
export function netnsSupported(): boolean {
  return (typeof process.getuid === "function" && process.getuid() === 0) || process.env.CI === "true";
}

export async function createNetNs(): Promise<NetNs> {
  if (!netnsSupported()) throw new Error("network namespaces need root (the drill runs as root in .ci/run)");
  const used = (await must(IP, ["-4", "-o", "addr"])).stdout;
  const third = [...Array(50)].map(() => crypto.randomInt(0, 256)).find((t) => !used.includes(`10.231.${t}.`));
  if (third === undefined) throw new Error("no free 10.231.x.0/30 found in 50 attempts");
  const fourth = crypto.randomInt(0, 64) * 4;
  const id = crypto.randomBytes(3).toString("hex");
  const name = `rtdrill-${id}`;
  const vh = `rtdh${id}`;
  const vn = `rtdn${id}`;
  const hostIp = `10.231.${third}.${fourth + 1}`;
  const nsIp = `10.231.${third}.${fourth + 2}`;
  const inNs = (cmd: string, args: string[]) => ["netns", "exec", name, cmd, ...args];
  let created = false;
  // Last resort if the test process exits without destroy() (the namespace takes its rules along).
  const onExit = () => {
    if (created) execFileSync(IP, ["netns", "del", name], { stdio: "ignore", timeout: 5000 });
  };
  process.once("exit", onExit);
  const destroy = async () => {
    process.removeListener("exit", onExit);
    if (!created) return;
    created = false;
    await run(IP, ["netns", "del", name], 20_000);
    await run(IP, ["link", "del", vh], 20_000); // normally gone with the namespace
  };
  try {
    await must(IP, ["netns", "add", name]);
    created = true;
    await must(IP, ["link", "add", vh, "type", "veth", "peer", "name", vn]);
    await must(IP, ["link", "set", vn, "netns", name]);
    await must(IP, ["addr", "add", `${hostIp}/30`, "dev", vh]);
    await must(IP, ["link", "set", vh, "up"]);
    await must(IP, inNs("ip", ["addr", "add", `${nsIp}/30`, "dev", vn]));
    await must(IP, inNs("ip", ["link", "set", vn, "up"]));
    await must(IP, inNs("ip", ["link", "set", "lo", "up"]));
  } catch (e) {
    await destroy();
    throw e;
  }
  const rule = (port: number) => ["INPUT", "-p", "tcp", "--dport", String(port), "-j", "DROP"];
  return {
    name,
    hostIp,
    nsIp,
    spawn: (cmd, args, opts = {}) => spawn(IP, inNs(cmd, args), opts),
    run: (cmd, args, timeoutMs = 60_000) => run(IP, inNs(cmd, args), timeoutMs),
    dropPort: async (port) => void (await must(IP, inNs("iptables", ["-I", ...rule(port)]))),
    undropPort: async (port) => void (await must(IP, inNs("iptables", ["-D", ...rule(port)]))),
    destroy,
  };
}
