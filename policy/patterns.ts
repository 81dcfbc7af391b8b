// Pure matchers the policies use: Harbor's doublestar filters, URL hosts, loopback, image digests.

/** Regex for one doublestar pattern as Harbor's filters take it: `*`, `**`, `?`, `{a,b}`. */
export function doublestarRegex(pattern: string): RegExp {
  let i = 0;
  const parse = (inBrace: boolean): string => {
    let out = "";
    while (i < pattern.length) {
      const c = pattern[i]!;
      if (c === "*") {
        if (pattern[i + 1] === "*") {
          i += 2;
          if (pattern[i] === "/") {
            i += 1;
            out += "(?:.*/)?"; // `**/` also matches no directory at all
          } else out += ".*";
        } else {
          i += 1;
          out += "[^/]*";
        }
      } else if (c === "?") {
        i += 1;
        out += "[^/]";
      } else if (c === "{") {
        i += 1;
        const alts: string[] = [parse(true)];
        while (pattern[i] === ",") {
          i += 1;
          alts.push(parse(true));
        }
        if (pattern[i] === "}") i += 1;
        out += `(?:${alts.join("|")})`;
      } else if (inBrace && (c === "," || c === "}")) {
        return out;
      } else {
        i += 1;
        out += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
      }
    }
    return out;
  };
  return new RegExp(`^${parse(false)}$`);
}

export function doublestarMatch(pattern: string, name: string): boolean {
  return doublestarRegex(pattern).test(name);
}

/** Repository names a filter must match to count as covering a whole project (Harbor repo names). */
const REPO_PROBES = ["a", "z9", "app", "a.b-c_d", "team/app", "a/b/c/d", "0", "x-snapshot"];

/**
 * Does a replication name filter (`<project>/<repos>`, or none) select every repository of the
 * project? Tag filters are not considered: excluding some tags still backs up the project.
 */
export function filterCoversProject(nameFilter: string | undefined, project: string): boolean {
  if (nameFilter === undefined || nameFilter === "") return true; // no filter: Harbor replicates everything
  const re = doublestarRegex(nameFilter);
  return REPO_PROBES.every((repo) => re.test(`${project}/${repo}`));
}

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
