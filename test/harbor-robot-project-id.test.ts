/**
 * Harbor stores a robot's permission against the project's id and drops it with the project
 * (v2.15.1 src/controller/robot/controller.go toScope/populatePermissions; the emulator does the
 * same). A project replaced under the same name (a new proxy-cache upstream: deleteBeforeReplace)
 * gets a new id: the robot must follow it on the same `up`, not after a `refresh`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectProvider } from "../components/harbor/api/project-provider";
import { robotProvider } from "../components/harbor/api/robot-provider";
import { TOKENS } from "../components/types";
import { conn, driver } from "./harbor-emulator/drive";
import { HarborEmulator } from "./harbor-emulator/server";
import { renderStack } from "./helpers/render";

let emu: HarborEmulator;
beforeAll(async () => { emu = new HarborEmulator(); await emu.start(); });
afterAll(async () => { await emu.stop(); });

describe("the mirror robot follows a replaced project", () => {
  it("keeps pull access after the project is replaced, in one up", async () => {
    const projects = driver(projectProvider);
    const robots = driver(robotProvider);
    // Two Docker Hub upstreams (proxy-cache registry types).
    emu.registries.set(9001, { id: 9001, name: "hub-a", type: "docker-hub", url: "https://hub.docker.com", insecure: false, description: "" });
    emu.registries.set(9002, { id: 9002, name: "hub-b", type: "docker-hub", url: "https://hub.docker.com", insecure: false, description: "" });
    const projectIn = (registryId: number) => ({ ...conn(emu), name: "cache", proxyCache: { registryId, speedKbps: -1 } });

    // First up: the project, then the robot with the project's id.
    const p1 = await projects.create(projectIn(9001));
    const robotIn = (projectId: unknown) => ({ ...conn(emu), name: "mirrors", projects: ["cache"], projectIds: [projectId], description: "pull only" });
    const r = await robots.create(robotIn(p1.outs.projectId));
    const robotName = String(r.outs.robotName);
    const secret = String(r.outs.secret);
    expect(emu.robotCan(robotName, secret, "cache", "repository", "pull")).toBe(true);

    // Second up: a new upstream replaces the project (delete before replace), same name, new id.
    const pd = await projects.diff(p1.id, p1.outs, projectIn(9002));
    expect(pd).toMatchObject({ replaces: ["proxyCache"], deleteBeforeReplace: true });
    await projects.delete(p1.id, p1.outs);
    const p2 = await projects.create(projectIn(9002));
    expect(p2.outs.projectId).not.toBe(p1.outs.projectId);
    expect(emu.robotCan(robotName, secret, "cache", "repository", "pull")).toBe(false); // Harbor dropped it

    // The robot's inputs now carry the new id: the engine sees a change and updates it.
    const rd = await robots.diff(r.id, r.outs, robotIn(p2.outs.projectId));
    expect(rd).toMatchObject({ changes: true, replaces: [] });
    const outs = await robots.update(r.id, r.outs, robotIn(p2.outs.projectId));
    expect(outs.secret).toBe(secret);
    expect(emu.robotCan(robotName, secret, "cache", "repository", "pull")).toBe(true);
    // And the up after it has nothing to do.
    const read = await robots.read(r.id, outs);
    expect((await robots.diff(r.id, read.props as Record<string, unknown>, robotIn(p2.outs.projectId))).changes).toBe(false);
    await robots.delete(r.id, outs);
    await projects.delete(p2.id, p2.outs);
  });

  it("refuses project ids that are not ids", async () => {
    const failures = await driver(robotProvider).failures({ ...conn(emu), name: "bad", projects: ["library"], projectIds: ["library"] });
    expect(failures.map((f) => f.property)).toEqual(["projectIds"]);
  });

  it("the stack wires the mirror robot to its projects' ids", async () => {
    const result = await renderStack("local");
    const robot = result.resources.filter((x) => x.type === TOKENS.harborRobotAccount && x.name.endsWith("-mirror-robot"));
    expect(robot).toHaveLength(1);
    const projects = result.resources.filter((x) => x.type === TOKENS.harborProject && (robot[0]!.inputs.projects as string[]).includes(String(x.inputs.name)));
    expect((robot[0]!.inputs.projectIds as unknown[]).length).toBe(projects.length);
    expect(projects.length).toBeGreaterThan(0);
    for (const p of projects) expect(robot[0]!.dependencies).toContain(p.urn);
  });
});
