// Addresses, ports and URLs: pure checks that say what is wrong, never echoing a credential.
import { isIPv4, isIPv6 } from "node:net";

/** Dotted-quad IPv4, each part 0-255, no leading zeros (010 is octal to some resolvers). */
export const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Lowercase DNS name: labels of 1-63 of a-z 0-9 '-', not starting/ending with '-', 253 in all. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Why `v` is not a DNS name nodes can resolve, or undefined. */
export function dnsNameProblem(v: string): string | undefined {
  if (v === "") return "expected a DNS name, found an empty string";
  if (v.split(".").some((l) => l === "")) return "a DNS name has no empty labels (no leading, trailing or doubled '.')";
  if (!DNS_NAME.test(v)) return "expected a lowercase DNS name without scheme or port, e.g. harbor.example.com";
  // RFC 3696 §2: a top-level label is never all digits, so "10.0.0.256" is a bad address, not a name.
  if (/^\d+$/.test(v.split(".").at(-1)!)) return "looks like an IPv4 address but is not one: expected four numbers 0-255, e.g. 10.0.0.1";
  return undefined;
}

/** Why `v` is not a DNS name or IPv4 address, or undefined. */
export function hostOrIpProblem(v: string): string | undefined {
  if (IPV4.test(v)) return undefined;
  if (/^[\d.]+$/.test(v)) return "not a valid IPv4 address: expected four numbers 0-255 without leading zeros, e.g. 10.0.0.1";
  if (/[:/]/.test(v)) return "expected a DNS name or IPv4 address without scheme or port";
  return dnsNameProblem(v);
}

/** Why `v` is not a TCP port, or undefined. Port 0 means "any port" to a listener: never a target. */
export function portProblem(v: number): string | undefined {
  if (!Number.isInteger(v) || v < 1 || v > 65535) return `expected a port from 1 to 65535, found ${v}`;
  return undefined;
}

/** Why `v` is not one IP address (v4 or v6, no zone), or undefined. */
export function ipProblem(v: string): string | undefined {
  if (isIPv4(v) || (isIPv6(v) && !v.includes("%"))) return undefined;
  return "expected an IPv4 or IPv6 address such as 203.0.113.10";
}

/** Why `v` is not a CIDR (address/prefix), or undefined. */
export function cidrProblem(v: string): string | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(v);
  if (!m) return "expected a CIDR such as 10.0.0.0/8";
  const [, addr, bits] = m as unknown as [string, string, string];
  const max = isIPv4(addr) ? 32 : isIPv6(addr) && !addr.includes("%") ? 128 : undefined;
  if (max === undefined) return "expected a CIDR such as 10.0.0.0/8: the address part is not an IPv4 or IPv6 address";
  if (Number(bits) > max || (bits.length > 1 && bits.startsWith("0"))) return `expected a prefix length from 0 to ${max}`;
  return undefined;
}

/** `scheme://[userinfo@]host[:port][/path]`, split without decoding. */
const URL_SHAPE = /^(https?):\/\/([^/?#\s]*)([^?#\s]*)$/;

export interface UrlRules {
  /** A path is allowed (a registry URL's path is where images land). */
  path: boolean;
  /** Sentence appended when the URL holds a password: how to store it as a secret instead. */
  secretHint: string;
}

/**
 * Why `v` is not a usable http(s) URL, or undefined. The message never contains the user
 * information: it may be a password.
 */
export function urlProblem(v: string, rules: UrlRules): string | undefined {
  // User information first, and up to the LAST '@' before any query: a password may hold '/' or
  // '@' (base64), which would end a stricter authority match early and let it reach a message.
  const afterScheme = /^https?:\/\/([^?#\s]*)/.exec(v)?.[1] ?? "";
  const lastAt = afterScheme.lastIndexOf("@");
  if (lastAt >= 0) {
    if (afterScheme.slice(0, lastAt).includes(":")) return `the URL holds a password, which would sit in plain text in the stack file and the state: remove it from the URL; ${rules.secretHint}`;
    return "the URL holds a user name: remove it (credentials go in their own keys)";
  }
  const m = URL_SHAPE.exec(v);
  if (!m) return rules.path ? "expected an http(s) URL such as https://registry.example.com" : "expected scheme://host[:port] such as https://harbor.example.com";
  const [, , authority, path] = m as unknown as [string, string, string, string];
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority)!;
  const host = hp[1]!;
  const port = hp[2];
  if (host.startsWith("[")) {
    if (!isIPv6(host.slice(1, -1))) return "the host in brackets is not an IPv6 address";
  } else {
    const p = hostOrIpProblem(host);
    if (p) return `host "${host}": ${p}`;
  }
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port)) return "expected a numeric port after ':'";
    const p = portProblem(Number(port));
    if (p) return p;
  }
  if (!rules.path && path !== "") return "expected scheme://host[:port] without a path";
  if (path.endsWith("/")) return "remove the trailing '/': Harbor stores URLs without it and would report drift";
  if (path.includes("//")) return "the path has an empty segment ('//')";
  return undefined;
}

/**
 * Any `scheme://user:pass@` in text becomes `scheme://<userinfo hidden>@`, up to the last '@' of
 * the URL (a password may itself hold '/' or '@').
 */
export function hideUserinfo(text: string): string {
  return text.replace(/(\/\/)[^\s"'?#]*@/g, "$1<userinfo hidden>@");
}
