import type * as pulumi from "@pulumi/pulumi";
import { closestName } from "../../config/cloud-regions/closest";

/**
 * What a cloud API would refuse, found while the program runs under the mock runtime. The mocks
 * record a refusal instead of throwing (a throw inside the mock monitor surfaces only as an
 * unhandled rejection), and the offline renderer reports them all after the run.
 */
export interface MockRefusal {
  type: string;
  name: string;
  problem: string;
}

const refusals: MockRefusal[] = [];
const checks = new Map<string, ((args: pulumi.runtime.MockResourceArgs) => string[])[]>();

/** Register the API's input checks for a resource type; each returns the problems it finds. */
export function defineMockCheck(type: string, check: (args: pulumi.runtime.MockResourceArgs) => string[]): void {
  checks.set(type, [...(checks.get(type) ?? []), check]);
}

export function runMockChecks(args: pulumi.runtime.MockResourceArgs): void {
  for (const check of checks.get(args.type) ?? []) {
    for (const problem of check(args)) refusals.push({ type: args.type, name: args.name, problem });
  }
}

/** The refusals recorded since the last call, oldest first (and forget them). */
export function takeMockRefusals(): MockRefusal[] {
  return refusals.splice(0, refusals.length);
}

export class MockRefusalError extends Error {
  constructor(readonly refusals: MockRefusal[]) {
    super(
      `The cloud APIs would refuse ${refusals.length} resource input(s):\n` +
        refusals.map((r) => `  - ${r.type} ${r.name}: ${r.problem}`).join("\n"),
    );
    this.name = "MockRefusalError";
  }
}

/** `value` as a string if it is one (inputs may be unknown or secret under mocks). */
export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * A region the real API would refuse. The real API knows every region; the mock knows the list in
 * infra/config/cloud-regions, so it refuses a name of the wrong shape, or one that is not listed
 * but within typo distance of a listed one (other than by its number: `europe-west15` next to
 * `europe-west1` is how new regions are named). A distinct unlisted name (a region newer than the
 * list, accepted in config with allowUnlistedRegion) passes here and is checked by the cloud.
 */
export function regionRefusal(value: unknown, shape: RegExp, known: readonly string[], label: string): string[] {
  const v = str(value);
  if (v === undefined) return [`${label} is missing`];
  if (known.includes(v)) return [];
  if (!shape.test(v)) return [`${label} "${v}" is not a region name`];
  const near = closestName(v, known);
  const stem = (x: string) => x.replace(/\d+$/, "");
  if (!near || (stem(near) === stem(v) && /\d$/.test(v))) return [];
  return [`${label} "${v}" is not a region (did you mean "${near}"?)`];
}
