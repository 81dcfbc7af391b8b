import { describe, expect, it } from "vitest";
import { parseTopologyConfig } from "../infra/config";
import { harborExternalUrl, harborHost } from "../components/harbor/chart/url";
import { harborChartValues } from "../components/harbor/chart/values";
import { htpasswdLine, htpasswdMatches } from "../components/shared/htpasswd";

function harbor(extra: Record<string, unknown>) {
  return parseTopologyConfig({
    environment: "dev",
    harbor: { hostname: "harbor.example.com", projects: [{ name: "library" }], ...extra },
  }).harbor;
}

// Chart values are untyped YAML trees.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Values = any;

const refs = { internalSecretName: "harbor-internal-secrets", internalDatabasePassword: "DBPW" };

describe("external URL and login host", () => {
  it.each([
    [{ type: "ingress", className: "nginx", tlsSecretName: "tls" }, "https://harbor.example.com", "harbor.example.com"],
    [{ type: "nodePort" }, "http://harbor.example.com:30002", "harbor.example.com:30002"],
    [{ type: "nodePort", httpsNodePort: 31443, tlsSecretName: "tls" }, "https://harbor.example.com:31443", "harbor.example.com:31443"],
    [{ type: "loadBalancer", tlsSecretName: "tls" }, "https://harbor.example.com", "harbor.example.com"],
    [{ type: "clusterIP" }, "http://harbor.example.com", "harbor.example.com"],
  ])("%j", (expose, url, host) => {
    const h = harbor({ expose });
    expect(harborExternalUrl(h)).toBe(url);
    expect(harborHost(h)).toBe(host);
  });

  it("an explicit externalUrl wins", () => {
    const h = harbor({ expose: { type: "clusterIP" }, externalUrl: "https://registry.example.com" });
    expect(harborExternalUrl(h)).toBe("https://registry.example.com");
  });
});

describe("chart values", () => {
  it("ingress with TLS from a Secret, internal database with the generated password", () => {
    const v = harborChartValues(harbor({ expose: { type: "ingress", className: "nginx", tlsSecretName: "harbor-tls", annotations: { a: "b" } } }), refs) as Values;
    expect(v.expose.type).toBe("ingress");
    expect(v.expose.tls).toEqual({ enabled: true, certSource: "secret", secret: { secretName: "harbor-tls" } });
    expect(v.expose.ingress.className).toBe("nginx");
    expect(v.expose.ingress.annotations).toMatchObject({ a: "b", "nginx.ingress.kubernetes.io/proxy-body-size": "0" });
    expect(v.database).toEqual({ type: "internal", internal: { password: "DBPW" } });
    expect(v.updateStrategy.type).toBe("Recreate");
    expect(v.jobservice.jobLoggers).toEqual(["file"]);
  });

  it("HA: external database and Redis by Secret reference, RWX, database job logs, rolling updates", () => {
    const h = harbor({
      expose: { type: "loadBalancer", ip: "10.0.0.5", sourceRanges: ["10.0.0.0/8"] },
      storage: { registryAccessMode: "ReadWriteMany", storageClass: "files" },
      database: { type: "external", host: "pg", username: "harbor", passwordSecretName: "harbor-db" },
      redis: { type: "external", addr: "r1:26379,r2:26379", sentinelMasterSet: "mymaster", passwordSecretName: "harbor-redis" },
      replicas: { core: 3, registry: 2, jobservice: 2 },
    });
    const v = harborChartValues(h, refs) as Values;
    expect(v.database.external).toMatchObject({ host: "pg", port: "5432", existingSecret: "harbor-db", sslmode: "verify-full" });
    expect(v.database.external).not.toHaveProperty("password");
    expect(v.redis.external).toMatchObject({ addr: "r1:26379,r2:26379", sentinelMasterSet: "mymaster", existingSecret: "harbor-redis" });
    expect(v.persistence.persistentVolumeClaim.registry).toEqual({ size: "100Gi", storageClass: "files", accessMode: "ReadWriteMany" });
    expect(v.core.replicas).toBe(3);
    expect(v.jobservice.jobLoggers).toEqual(["database"]);
    expect(v.updateStrategy.type).toBe("RollingUpdate");
    expect(v.expose.loadBalancer).toMatchObject({ IP: "10.0.0.5", sourceRanges: ["10.0.0.0/8"] });
    expect(v.expose.tls).toEqual({ enabled: false, certSource: "none" });
  });
});

describe("htpasswd", () => {
  it("is stable for a given salt and verifies", () => {
    const salt = "abcdefghijklmnopqrstuv";
    const a = htpasswdLine("harbor_registry_user", "pw-1", salt);
    expect(htpasswdLine("harbor_registry_user", "pw-1", salt)).toBe(a);
    expect(htpasswdMatches(a, "harbor_registry_user", "pw-1")).toBe(true);
    expect(htpasswdMatches(a, "harbor_registry_user", "pw-2")).toBe(false);
    expect(() => htpasswdLine("u", "p", "short")).toThrow(/22 characters/);
  });
});
