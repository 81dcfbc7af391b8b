/**
 * Faults the provider must survive (issue 13): after each, the next `up` converges with no
 * duplicate object and no manual step, and the one after changes nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { harborCounts, harborStack } from "./harbor-emulator/stack";
import { HarborEmulator, type Fault } from "./harbor-emulator/server";

let emu: HarborEmulator;
beforeAll(async () => { emu = new HarborEmulator(); await emu.start(); });
afterAll(async () => { await emu.stop(); });
beforeEach(() => { emu.clearFaults(); emu.executionMs = 0; emu.failExecutions = 0; });

const ONE_EACH = { project: 1, endpoint: 1, policy: 1, robot: 1 };

/** The next up changes nothing: one GET per resource and no write. */
async function settled(stack: ReturnType<typeof harborStack>): Promise<void> {
  const mark = emu.requests.length;
  expect(await stack.up()).toEqual([]);
  const calls = emu.requests.slice(mark);
  expect(calls.filter((r) => r.method !== "GET")).toEqual([]);
  // The project manages a quota: its refresh reads the quota too.
  expect(calls).toHaveLength(4 + 1);
}

describe("answer lost after a create, then the run ends", () => {
  it.each([
    ["project", "POST /projects"],
    ["endpoint", "POST /registries"],
    ["policy", "POST /replication/policies"],
    ["robot", "POST /robots"],
  ])("%s: the next up adopts it", async (key, route) => {
    const stack = harborStack(emu, `lost-${key}`);
    emu.inject({ route, kind: "reset-after" });
    // The run ends right after Harbor committed (process killed, CI timeout): the retry is refused.
    emu.inject({ route, kind: "status", status: 403, message: "forbidden" });
    await expect(stack.up()).rejects.toThrow(/HTTP 403/);
    expect(stack.state.has(key)).toBe(false);
    expect(harborCounts(emu, stack.names)[key as keyof typeof ONE_EACH]).toBe(1);

    await stack.up();
    expect(harborCounts(emu, stack.names)).toEqual(ONE_EACH);
    expect(stack.state.size).toBe(4);
    const robot = stack.state.get("robot")!;
    expect(robot.outs.secret).toBe(emu.robots.get(Number(robot.id))!.secret);
    expect(stack.state.get("policy")!.outs.backfillStatus).toBe("Succeed");
    await settled(stack);
  });
});

describe("every call fails once", () => {
  // Concurrent, each against its own emulator: a fault on "*" must not hit another test.
  it.concurrent.each<[string, Fault]>([
    ["503", { route: "*", kind: "status", status: 503 }],
    ["429", { route: "*", kind: "status", status: 429, retryAfterSeconds: 0 }],
    ["reset before Harbor saw it", { route: "*", kind: "reset-before" }],
    ["reset after Harbor committed", { route: "*", kind: "reset-after" }],
  ])("%s: create, refresh and destroy converge without duplicates", async (_label, fault) => {
    const own = new HarborEmulator();
    await own.start();
    try {
      const stack = harborStack(own, "flaky");
      own.inject({ ...fault, every: 2, times: 1000 });
      await stack.up();
      expect(harborCounts(own, stack.names)).toEqual(ONE_EACH);
      // A backfill POST cannot be blindly retried (Harbor would run it twice): when each attempt
      // and its lookup were hit, it is reported StartFailed and the next up starts it.
      expect((await stack.up()).filter((k) => k !== "policy")).toEqual([]);
      const robot = stack.state.get("robot")!;
      expect(robot.outs.secret).toBe(own.robots.get(Number(robot.id))!.secret);
      const policyId = Number(stack.state.get("policy")!.id);
      expect([...own.executions.values()].filter((e) => e.policy_id === policyId).length).toBeLessThanOrEqual(1);
      // Once Harbor answers again, the backfill has run, exactly once.
      own.clearFaults();
      await stack.up();
      expect(stack.state.get("policy")!.outs.backfillStatus).toBe("Succeed");
      expect([...own.executions.values()].filter((e) => e.policy_id === policyId)).toHaveLength(1);
      expect(harborCounts(own, stack.names)).toEqual(ONE_EACH);
      await stack.destroy();
      expect(harborCounts(own, stack.names)).toEqual({ project: 0, endpoint: 0, policy: 0, robot: 0 });
    } finally {
      await own.stop();
    }
  });
});

describe("backfill failing after the policy is created", () => {
  it("a failed backfill execution is reported and started again by the next up", async () => {
    const stack = harborStack(emu, "backfill");
    emu.failExecutions = 1;
    await stack.up();
    expect(stack.state.get("policy")!.outs).toMatchObject({ backfillStatus: "Failed", backfillStatusText: expect.stringMatching(/refused/) });
    expect(await stack.up()).toEqual(["policy"]);
    expect(stack.state.get("policy")!.outs.backfillStatus).toBe("Succeed");
    expect(harborCounts(emu, stack.names)).toEqual(ONE_EACH);
    await settled(stack);
  });

  it("a backfill that cannot start leaves the policy in state; the next up starts it", async () => {
    const stack = harborStack(emu, "nostart");
    emu.inject({ route: "POST /replication/executions", kind: "status", status: 500, times: 10 });
    await stack.up();
    expect(stack.state.get("policy")!.outs).toMatchObject({ backfillStatus: "StartFailed", backfillExecutionId: 0 });
    emu.clearFaults();
    expect(await stack.up()).toEqual(["policy"]);
    expect(stack.state.get("policy")!.outs.backfillStatus).toBe("Succeed");
    expect(harborCounts(emu, stack.names)).toEqual(ONE_EACH);
    await settled(stack);
  });
});

describe("Harbor restarted between two runs", () => {
  it("state kept: the next up restarts the interrupted backfill and changes nothing else", async () => {
    const stack = harborStack(emu, "restart", { backfillWaitSeconds: 0 });
    emu.executionMs = 60_000;
    await stack.up();
    expect(stack.state.get("policy")!.outs.backfillStatus).toBe("InProgress");
    await emu.restart();
    emu.executionMs = 0;
    expect(await stack.up()).toEqual(["policy"]);
    expect(stack.state.get("policy")!.outs.backfillStatus).toBe("Succeed");
    expect(harborCounts(emu, stack.names)).toEqual(ONE_EACH);
    const robot = stack.state.get("robot")!;
    expect(robot.outs.secret).toBe(emu.robots.get(Number(robot.id))!.secret);
    await settled(stack);
  });
});
