// The token refresher's pure parts: the token file format (what the writer and the token relay
// read with sed and a regex), the settings file it is started with, the Secret keys, and the
// settings the component derives from the backups.
import { describe, expect, it } from "vitest";
import { refresherSettings } from "../components/refresher";
import { tokenKey } from "../components/refresher/names";
import { parseRefresherSettings } from "../components/refresher/settings";
import { formatTokenFile, parseTokenFile } from "../components/refresher/tokenFile";
import * as pulumi from "@pulumi/pulumi";

const token = { username: "AWS", password: "eyJwYXlsb2FkIjoi=+/", issuedAt: 1_700_000_000_000, expiresAt: 1_700_043_200_000 };

describe("token file", () => {
  it("round-trips, with a password that holds '=', '+' and '/'", () => {
    const text = formatTokenFile(token);
    expect(text).toBe("username=AWS\npassword=eyJwYXlsb2FkIjoi=+/\nissued=1700000000000\nexpires=1700043200000\n");
    expect(parseTokenFile(text)).toEqual(token);
  });

  it("refuses to write what the line format cannot carry (the value is never in the message)", () => {
    expect(() => formatTokenFile({ ...token, password: "a\nusername=evil" })).toThrow(/line break/);
    expect(() => formatTokenFile({ ...token, password: "" })).toThrow(/empty/);
    expect(() => formatTokenFile({ ...token, username: "a=b" })).toThrow(/'='/);
    expect(() => formatTokenFile({ ...token, expiresAt: 1.5 })).toThrow(/whole epoch/);
    const e = (() => {
      try {
        formatTokenFile({ ...token, password: "hunter2\nvalue" });
      } catch (x) {
        return String(x);
      }
      return "no error";
    })();
    expect(e).toMatch(/line break/);
    expect(e).not.toContain("hunter2");
  });

  it("reads anything malformed as missing: a field twice, a field missing, a stray line, a non-number", () => {
    const ok = formatTokenFile(token);
    expect(parseTokenFile(undefined)).toBeUndefined();
    expect(parseTokenFile("")).toBeUndefined();
    expect(parseTokenFile(`${ok}password=second\n`)).toBeUndefined();
    expect(parseTokenFile(ok.replace(/issued=.*\n/, ""))).toBeUndefined();
    expect(parseTokenFile(`${ok}garbage\n`)).toBeUndefined();
    expect(parseTokenFile(ok.replace(/expires=\d+/, "expires=soon"))).toBeUndefined();
  });
});

describe("refresher settings", () => {
  const good = { store: { kind: "secret", namespace: "kube-system", name: "registry-topology-registry-tokens" }, credentialsDir: "/c", intervalSeconds: 300, targets: [{ backup: "ecr-a", key: "t1", kind: "ecr", region: "eu-west-1", registryId: "123456789012", identity: "accessKey" }] };
  it("accepts the component's settings and names the field of a bad one", () => {
    expect(parseRefresherSettings(JSON.stringify(good), "s.json").targets).toHaveLength(1);
    expect(() => parseRefresherSettings("{", "s.json")).toThrow(/s\.json: not JSON/);
    expect(() => parseRefresherSettings(JSON.stringify({ ...good, intervalSeconds: 0 }), "s.json")).toThrow(/s\.json: intervalSeconds/);
    expect(() => parseRefresherSettings(JSON.stringify({ ...good, targets: [{ ...good.targets[0], registryId: "12" }] }), "s.json")).toThrow(/targets\.0\.registryId: .*12-digit/);
    expect(() => parseRefresherSettings(JSON.stringify({ ...good, targets: [{ ...good.targets[0], key: "T-1" }] }), "s.json")).toThrow(/targets\.0\.key/);
    const twice = { ...good, targets: [good.targets[0], { ...good.targets[0], backup: "ecr-b" }] };
    expect(() => parseRefresherSettings(JSON.stringify(twice), "s.json")).toThrow(/key t1 is used twice/);
  });

  it("Secret keys: writer-safe, stable per backup and registry, new when the registry changes", () => {
    const a = tokenKey("ecr-a", { kind: "ecr", region: "eu-west-1", registryId: "123456789012" });
    expect(a).toMatch(/^t[0-9a-f]{16}$/);
    expect(tokenKey("ecr-a", { kind: "ecr", region: "eu-west-1", registryId: "123456789012" })).toBe(a);
    expect(tokenKey("ecr-a", { kind: "ecr", region: "eu-west-1", registryId: "123456789013" })).not.toBe(a);
    expect(tokenKey("ecr-b", { kind: "ecr", region: "eu-west-1", registryId: "123456789012" })).not.toBe(a);
  });

  it("a static-key identity without its key is an error naming the backup", () => {
    expect(() => refresherSettings([{ backup: "ali", key: "t1", mint: { kind: "alibaba", region: "eu-central-1" } }], 300)).toThrow(/backup ali: .*no pull credential/);
    const withKey = refresherSettings([{ backup: "ali", key: "t1", mint: { kind: "alibaba", region: "eu-central-1" }, credential: { username: "LTAI", password: pulumi.secret("x") } }], 300);
    expect(withKey.targets).toEqual([{ backup: "ali", key: "t1", kind: "alibaba", region: "eu-central-1" }]);
  });
});
