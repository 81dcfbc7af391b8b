import { describe, expect, it } from "vitest";
import { HARBOR_CHART_VERSION } from "../infra/config/harbor";
import { buildPlan } from "../infra/offline/plan";
import { listStacks } from "../infra/offline/stackFiles";
import { TOKENS } from "../components/types";
import { isSecret, unwrapSecret } from "./helpers/secrets";
import { one, renderStack } from "./helpers/render";

const stacks = listStacks();

describe("shipped stacks", () => {
  it("are the four environments", () => {
    expect(stacks).toEqual(["dev", "local", "prod", "staging"]);
  });
});

describe.each(stacks)("stack %s under mocks", (stack) => {
  it("registers Harbor from the pinned official chart with stable, secret internals", async () => {
    const result = await renderStack(stack);
    const release = one(result, "kubernetes:helm.sh/v3:Release");
    expect(release.inputs.chart).toBe("harbor");
    expect(release.inputs.version).toBe(HARBOR_CHART_VERSION);
    expect(release.inputs.repositoryOpts).toEqual({ repo: "https://helm.goharbor.io" });

    const values = release.inputs.values as Record<string, unknown>;
    // Nothing random is rendered by the chart: every internal secret comes from one Secret.
    expect(values.existingSecretAdminPassword).toBe("harbor-internal-secrets");
    expect(values.existingSecretSecretKey).toBe("harbor-internal-secrets");
    expect(values.core).toMatchObject({ existingSecret: "harbor-internal-secrets", secretName: "harbor-internal-secrets", existingXsrfSecret: "harbor-internal-secrets" });
    expect(values).not.toHaveProperty("harborAdminPassword");
    expect(values).not.toHaveProperty("secretKey");

    const secret = one(result, "kubernetes:core/v1:Secret", "harbor-internal-secrets");
    expect(isSecret(secret.inputs.stringData)).toBe(true);
    const data = unwrapSecret(secret.inputs.stringData) as Record<string, string>;
    expect(data.secretKey).toHaveLength(16);
    expect(data.CSRF_KEY).toHaveLength(32);
    expect(data.REGISTRY_HTPASSWD).toMatch(/^harbor_registry_user:\$2y\$10\$/);

    expect(result.outputs.harborAdminPassword?.secret).toBe(true);
    expect(result.outputs.registryCredentials?.secret).toBe(true);
    expect(result.outputs.harborUrl?.secret).toBe(false);
  });

  it("parents every resource under the topology and registers identical inputs twice", async () => {
    const first = buildPlan(await renderStack(stack));
    const second = buildPlan(await renderStack(stack));
    expect(second.resources).toEqual(first.resources);
    const root = first.resources.filter((r) => r.parent === null);
    expect(root.map((r) => r.type)).toEqual([TOKENS.topology]);
  });

  it("puts no generated secret into plan.json in plain text", async () => {
    const result = await renderStack(stack);
    const text = JSON.stringify(buildPlan(result));
    const data = unwrapSecret(one(result, "kubernetes:core/v1:Secret", "harbor-internal-secrets").inputs.stringData) as Record<string, string>;
    for (const value of Object.values(data)) expect(text).not.toContain(value);
  });
});

describe("prod", () => {
  it("is HA with an external database and Redis, and names two backups in two clouds", async () => {
    const result = await renderStack("prod");
    const values = one(result, "kubernetes:helm.sh/v3:Release").inputs.values as Record<string, Record<string, unknown>>;
    expect(values.database?.type).toBe("external");
    expect(values.redis?.type).toBe("external");
    expect(values.core?.replicas).toBeGreaterThanOrEqual(2);
    expect(values.registry?.replicas).toBeGreaterThanOrEqual(2);
    const kinds = new Set(result.config.backups.map((b) => b.kind));
    expect(kinds.size).toBeGreaterThanOrEqual(2);
    expect(result.config.regions).toHaveLength(3);
  });
});
