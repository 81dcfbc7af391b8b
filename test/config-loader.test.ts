import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, PROJECT } from "../infra/config";
import { loadTopologyConfig } from "../infra/config/load";
import { installMockRuntime } from "../infra/offline/mockRuntime";

const harbor = {
  hostname: "harbor.example.com",
  expose: { type: "clusterIP" },
  projects: [{ name: "library" }],
};

beforeAll(async () => {
  await installMockRuntime(PROJECT, "loader");
});

function load(config: Record<string, string>, secretKeys: string[] = []) {
  pulumi.runtime.setAllConfig(config, secretKeys);
  return loadTopologyConfig();
}

describe("loadTopologyConfig (stack config as the engine passes it)", () => {
  it("decodes structured values and plain strings", () => {
    const cfg = load({ [`${PROJECT}:environment`]: "staging", [`${PROJECT}:harbor`]: JSON.stringify(harbor) });
    expect(cfg.environment).toBe("staging");
    expect(cfg.harbor.hostname).toBe("harbor.example.com");
  });

  it("reports unknown top-level keys together with every other problem", () => {
    try {
      load({ [`${PROJECT}:environment`]: "qa", [`${PROJECT}:harbr`]: "{}" , [`${PROJECT}:harbor`]: JSON.stringify(harbor) });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toEqual([
        'harbr: unknown key; did you mean "harbor"? expected one of environment, allowInsecureUpstreams, harbor, backups, replication, regions, archives, observability',
        'environment: expected one of "local" | "dev" | "staging" | "prod", found string "qa"',
      ]);
    }
  });

  it("accepts a credential only when its key is a Pulumi secret", () => {
    const backups = JSON.stringify([
      { name: "nas", kind: "oci", url: "https://nas.example.com", failureDomain: "dc2", push: { username: "u", password: "s3cret-value" } },
    ]);
    const config = { [`${PROJECT}:environment`]: "dev", [`${PROJECT}:harbor`]: JSON.stringify(harbor), [`${PROJECT}:backups`]: backups };
    expect(() => load(config)).toThrow(/backups\[0\]\.push\.password: expected a Pulumi secret, found plain text/);
    expect(load(config, [`${PROJECT}:backups`]).backups).toHaveLength(1);
  });

  it("ignores other namespaces (provider config)", () => {
    const cfg = load({ "kubernetes:context": "kind", [`${PROJECT}:environment`]: "local", [`${PROJECT}:harbor`]: JSON.stringify(harbor) });
    expect(cfg.environment).toBe("local");
  });
});
