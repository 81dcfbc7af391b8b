// Pure matchers for no-insecure-upstreams and pinned-images: URL hosts, loopback by address, image
// digests. (Backup placement uses ./hosts.ts, Harbor's filters ./doublestar.ts.)

/** Host (lowercase, no port, no brackets) of a URL or `host[:port][/path]` reference. */
export function hostOf(urlOrHost: string): string | undefined {
  const s = urlOrHost.trim();
  if (s === "") return undefined;
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `https://${s}`);
    return u.hostname.replace(/^\[|\]$/g, "").toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

/** Loopback by address only (127.0.0.0/8, ::1, localhost): names that merely resolve there do not count. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/** `name[:tag]@sha256:<64 hex>` (or sha512). */
export function isDigestPinned(image: string): boolean {
  return /@sha256:[a-f0-9]{64}$/.test(image) || /@sha512:[a-f0-9]{128}$/.test(image);
}
