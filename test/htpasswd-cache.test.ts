// The offline commands' store of htpasswd lines (infra/offline/htpasswd-cache.ts): the same inputs
// give the line bcrypt gives, from the file on the next run; without the store nothing is kept.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { htpasswdLine, htpasswdMatches, setHtpasswdLineCache } from "../components/shared/htpasswd";
import { installOfflineHtpasswdCache } from "../infra/offline/htpasswd-cache";

const SALT = "abcdefghijklmnopqrstuv";

describe("offline htpasswd cache", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "htpasswd-cache-"));
  afterEach(() => setHtpasswdLineCache(undefined));

  it("stores the line bcrypt made, keyed by a hash of the inputs (no password in the file), and serves it on the next run", () => {
    const file = path.join(dir, "lines.json");
    const plain = htpasswdLine("u", "mock-password-1", SALT);
    installOfflineHtpasswdCache(file);
    expect(htpasswdLine("u", "mock-password-1", SALT)).toBe(plain);
    const stored = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
    expect(Object.values(stored)).toEqual([plain]);
    expect(Object.keys(stored)[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readFileSync(file, "utf8")).not.toContain("mock-password-1");
    // A new process (a new install) reads it back; a changed salt or password is a new line.
    setHtpasswdLineCache(undefined);
    installOfflineHtpasswdCache(file);
    expect(htpasswdLine("u", "mock-password-1", SALT)).toBe(plain);
    const other = htpasswdLine("u", "mock-password-2", SALT);
    expect(htpasswdMatches(other, "u", "mock-password-2")).toBe(true);
    expect(Object.keys(JSON.parse(fs.readFileSync(file, "utf8")) as object)).toHaveLength(2);
  });

  it("an unwritable place is ignored: the line is still made", () => {
    const notADir = path.join(dir, "a-file");
    fs.writeFileSync(notADir, "");
    installOfflineHtpasswdCache(path.join(notADir, "lines.json"));
    expect(htpasswdMatches(htpasswdLine("u", "p", SALT), "u", "p")).toBe(true);
  });
});
