// Where an address really goes, decided the way a resolver and a TCP stack decide it, so that a
// backup cannot be Harbor (or Harbor's machine, or Harbor's cluster) under another spelling.
//
// - Parsing: the WHATWG URL host parser (Node's `URL`), which lower-cases, percent-decodes,
//   applies IDNA (full-width and other compatibility forms fold to ASCII), compresses IPv6 and
//   parses IPv4 in every form inet_aton(3) accepts: decimal, hex and octal parts, and the
//   short forms a, a.b, a.b.c (`2130706433`, `0x7f.1`, `0177.0.0.1` are all 127.0.0.1). glibc's
//   getaddrinfo accepts the same forms; Go's pure resolver does not (it would look such a name
//   up in DNS and fail), so for Harbor such a backup is either on 127.0.0.1 or unreachable:
//   never a usable backup. (Go's resolver behaviour is from its documentation, not checked here.)
// - A trailing dot is the absolute form of the same name (RFC 1034 3.1): dropped.
// - Loopback: 127.0.0.0/8 and ::1 (RFC 1122 3.2.1.3, RFC 4291 2.5.3), IPv4-mapped forms of
//   them (::ffff:127.x), `localhost` and `*.localhost` (RFC 6761 6.3), and the unspecified
//   addresses 0.0.0.0 and :: which Linux connects to the local host.
// - Wildcard DNS services that answer with the address written in the name (nip.io, sslip.io:
//   `app.10.0.0.5.nip.io`, `app-10-0-0-5.sslip.io`) resolve to that address, so they are read as
//   it. (Their documented behaviour; not resolved here: no network.)
// - Cluster-internal names: `*.svc`, `*.svc.cluster.local`, `*.cluster.local` and single-label
//   names are resolved by the cluster's DNS through the pod's search path (Kubernetes DNS
//   specification for Services; resolv.conf `search <ns>.svc.cluster.local svc.cluster.local
//   cluster.local`): from Harbor's job service, which does the replication, they are services
//   of Harbor's own cluster. (From the Kubernetes DNS specification; no cluster here to check.)

export interface Address {
  /** Normalised host: lower-case, no trailing dot, IPv4 dotted-quad, IPv6 without brackets. */
  host: string;
  /** The port connected to: explicit, or the scheme's default (80 for http, 443 otherwise). */
  port: number;
}

const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443 };

/** IPv4 dotted-quad of an IPv4-mapped IPv6 address as URL prints it (::ffff:7f00:1, RFC 4291 2.5.5.2), else undefined. */
function mappedIPv4(ipv6: string): string | undefined {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ipv6);
  if (!m) return undefined;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

const EMBEDDED_IP_SUFFIXES = [".nip.io", ".sslip.io"];

/** The IPv4 address a nip.io/sslip.io name answers with (dot or dash form), if any. */
function wildcardDnsAddress(host: string): string | undefined {
  const suffix = EMBEDDED_IP_SUFFIXES.find((s) => host.endsWith(s));
  if (!suffix) return undefined;
  const m = /(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})$/.exec(host.slice(0, -suffix.length));
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(Number);
  return parts.every((p) => p <= 255) ? parts.join(".") : undefined;
}

/** Normalise the host of a URL or `host[:port][/path]`; undefined when it is not a valid host. */
export function parseAddress(urlOrHost: string): Address | undefined {
  const s = urlOrHost.trim();
  if (s === "") return undefined;
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `https://${s}`);
  } catch {
    return undefined;
  }
  let host = u.hostname;
  if (host === "") return undefined;
  if (host.startsWith("[")) {
    host = host.slice(1, -1);
    host = mappedIPv4(host) ?? host;
  } else {
    host = host.replace(/\.+$/, "");
    // The URL parser turns IPv4 forms into dotted quads only when the last label is numeric;
    // after dropping a trailing dot, parse again for `2130706433.`-style names.
    try {
      host = new URL(`https://${host}`).hostname;
    } catch {
      return undefined;
    }
    host = wildcardDnsAddress(host) ?? host;
  }
  const port = u.port !== "" ? Number(u.port) : (DEFAULT_PORTS[u.protocol] ?? 443);
  return { host, port };
}

export function hostOf(urlOrHost: string): string | undefined {
  return parseAddress(urlOrHost)?.host;
}

/** Loopback or "this host" by address (see above); names that merely resolve there only via DNS do not count. */
export function isLoopback(host: string): boolean {
  const h = parseAddress(host)?.host ?? host.toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "0.0.0.0" || h === "::1" || h === "::";
}

/** A name the cluster's DNS answers (Service names and single-label names through the search path). */
export function isClusterInternal(host: string): boolean {
  const h = parseAddress(host)?.host ?? host.toLowerCase();
  if (h.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(h)) return false; // an address, not a name
  if (h === "localhost") return false;
  return !h.includes(".") || h.endsWith(".svc") || h.endsWith(".svc.cluster.local") || h.endsWith(".cluster.local");
}

/** Same machine: the same normalised host, or both loopback (a loopback address is always the connecting machine). */
export function sameMachine(a: Address, b: Address): boolean {
  return a.host === b.host || (isLoopback(a.host) && isLoopback(b.host));
}
