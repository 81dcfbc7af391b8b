import { createHash } from "node:crypto";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Deterministic stand-in for a generated value: same seed, same text, every run. */
export function fakeAlnum(seed: string, length: number): string {
  let out = "";
  let block = 0;
  while (out.length < length) {
    const digest = createHash("sha256").update(`${seed}#${block++}`).digest();
    for (const byte of digest) {
      if (out.length >= length) break;
      out += ALNUM[byte % ALNUM.length];
    }
  }
  return out;
}

export function fakeHex(seed: string, length: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}
