// Harbor's replication filters, matched exactly as Harbor matches them.
//
// Harbor v2.15.1 src/pkg/reg/util/pattern.go `Match(pattern, str)`: an empty pattern matches
// everything, otherwise `doublestar.Match(pattern, str)` from github.com/bmatcuk/doublestar v1.3.4
// (src/go.mod). Both the repository filter (src/pkg/reg/filter/repository.go,
// repositoryNameFilter.Filter: the pattern against the full repository name "<project>/<repo>")
// and the tag filter (src/pkg/reg/filter/artifact.go, artifactTagFilter.Filter) call it.
//
// This is a line-by-line port of doublestar v1.3.4 doublestar.go (Match -> matchWithSeparator ->
// splitPathOnSeparator, doMatching, matchComponent, splitAlternatives, isZeroLengthPattern,
// indexRuneWithEscaping), separator '/'. The npm matchers differ from it where it matters here
// (checked with minimatch 10.2.6 and picomatch 4.0.7 from this repo's node_modules): both skip names
// starting with "." (`library/**` does not match `library/.x`; doublestar does), both accept the
// malformed class `[]a]` (doublestar returns ErrBadPattern, which makes Harbor's filter fail and
// the replication copy nothing), minimatch reads `[!a]` as a negation (doublestar: the characters
// "!" and "a"), and picomatch lets `a/**` match `a` (doublestar does not). Strings are handled
// as arrays of code points, as Go decodes runes; Harbor names are ASCII, where this is
// byte-for-byte the same. All 101 rows of doublestar v1.3.4's own `matchTests` table were run
// against this port without a mismatch; test/policy-evasions.test.ts keeps a selection.

export class BadPatternError extends Error {
  constructor(pattern: string) {
    super(`syntax error in pattern ${JSON.stringify(pattern)}`);
  }
}

type Runes = string[];

const runes = (s: string): Runes => Array.from(s);

/** indexRuneWithEscaping: first index of r not preceded by a backslash, or -1. */
function indexRuneWithEscaping(s: Runes, r: string, from = 0): number {
  let end = s.indexOf(r, from);
  while (end > from && s[end - 1] === "\\") end = s.indexOf(r, end + 1);
  return end;
}

/** splitPathOnSeparator (separator '/'): respects escaped separators; a trailing '/' gives an empty last component. */
function splitPath(path: Runes): Runes[] {
  if (!path.includes("/")) return [path];
  const out: Runes[] = [];
  let start = 0;
  let emptyEnd = false;
  while (start < path.length) {
    let end = indexRuneWithEscaping(path, "/", start);
    if (end === -1) {
      emptyEnd = false;
      end = path.length;
    } else emptyEnd = true;
    out.push(path.slice(start, end));
    start = end + 1;
  }
  if (emptyEnd) out.push([]);
  // Go sizes the slice by the count of '/' (escaped ones too) and trims to what it filled.
  return out;
}

/** splitAlternatives: the options of `{...}` (s starts after '{') and the index after the closing '}', or -1. */
function splitAlternatives(s: Runes): { options: Runes[]; end: number } {
  const options: Runes[] = [];
  let idx = 0;
  let braces = 1;
  let esc = false;
  let start = 0;
  while (braces > 0) {
    if (idx >= s.length) return { options: [], end: -1 };
    const c = s[idx]!;
    if (esc) esc = false;
    else if (c === "\\") esc = true;
    else if (c === "{") braces++;
    else if (c === "}") braces--;
    else if (c === "," && braces === 1) {
      options.push(s.slice(start, idx));
      start = idx + 1;
    }
    idx++;
  }
  options.push(s.slice(start, idx - 1));
  return { options, end: idx };
}

/** isZeroLengthPattern: can the pattern match zero characters ("", "*", "**", or a `{...}` with an empty-capable option)? */
function isZeroLength(pattern: Runes, original: string): boolean {
  const p = pattern.join("");
  if (p === "" || p === "*" || p === "**") return true;
  if (pattern[0] === "{") {
    const { options, end } = splitAlternatives(pattern.slice(1));
    if (end === -1) throw new BadPatternError(original);
    if (!isZeroLength(pattern.slice(1 + end), original)) return false;
    for (const o of options) if (isZeroLength(o, original)) return true;
  }
  return false;
}

/**
 * matchComponent: match one name component. Returns the patterns left for the following
 * components ([] = matched with nothing left), or null when it does not match.
 */
function matchComponent(pattern: Runes, name: Runes, original: string): Runes[] | null {
  let p = 0;
  let n = 0;
  while (p < pattern.length && n < name.length) {
    let pr = pattern[p]!;
    const nr = name[n]!;
    if (pr === "/") {
      p++;
      break;
    } else if (pr === "\\") {
      p++;
      if (p >= pattern.length) throw new BadPatternError(original); // utf8.RuneError
      if (pattern[p] === nr) {
        p++;
        n++;
      } else return null;
    } else if (pr === "*") {
      // a star at the end of the pattern or before a separator matches the rest of the component
      if (++p >= pattern.length) return [];
      pr = pattern[p]!;
      if (pr === "/") return [pattern.slice(p + 1)];
      for (; n < name.length; n++) {
        const m = matchComponent(pattern.slice(p), name.slice(n), original);
        if (m !== null) return m;
      }
      return null;
    } else if (pr === "[") {
      p++;
      let endClass = indexRuneWithEscaping(pattern, "]", p);
      if (endClass === -1) throw new BadPatternError(original);
      const cls = pattern.slice(p, endClass);
      if (cls.length === 0) throw new BadPatternError(original);
      let i = 0;
      let matched = false;
      if (cls[0] === "^") i++;
      while (i < cls.length) {
        let low = cls[i]!;
        if (low === "-") throw new BadPatternError(original);
        i++;
        if (low === "\\") {
          if (i < cls.length) low = cls[i++]!;
          else throw new BadPatternError(original);
        }
        let high = low;
        if (i < cls.length && cls[i] === "-") {
          if (++i >= cls.length) throw new BadPatternError(original);
          high = cls[i]!;
          if (high === "-") throw new BadPatternError(original);
          i++;
          if (high === "\\") {
            if (i < cls.length) high = cls[i++]!;
            else throw new BadPatternError(original);
          }
        }
        const c = nr.codePointAt(0)!;
        if (low.codePointAt(0)! <= c && c <= high.codePointAt(0)!) matched = true;
      }
      if (matched === (cls[0] === "^")) return null;
      endClass = endClass + 1;
      p = endClass;
      n++;
    } else if (pr === "{") {
      p++;
      const { options, end } = splitAlternatives(pattern.slice(p));
      if (end === -1) throw new BadPatternError(original);
      p += end;
      const results: Runes[] = [];
      let any = false;
      for (const o of options) {
        const m = matchComponent([...o, ...pattern.slice(p)], name.slice(n), original);
        if (m !== null) {
          any = true;
          results.push(...m);
        }
      }
      return any ? results : null;
    } else if (pr === "?" || pr === nr) {
      p++;
      n++;
    } else return null;
  }
  if (n >= name.length) {
    if (p >= pattern.length) return [];
    const rest = pattern.slice(p);
    const slash = indexRuneWithEscaping(rest, "/");
    const test = slash >= 0 ? rest.slice(0, slash) : rest;
    if (isZeroLength(test, original)) return slash === -1 ? [] : [rest.slice(slash + 1)];
  }
  return null;
}

/** doMatching: the pattern against the remaining name components. */
function doMatching(pattern: Runes, names: Runes[], original: string): boolean {
  if (pattern.length === 0 && names.length === 0) return true;
  if (pattern.length === 0) {
    if (names.length === 1 && names[0]!.length === 0) return true;
    // Go indexes nameComponents[0] below even for an empty pattern; with names it falls through
    // to matchComponent("", ...), which matches only an empty component (handled above).
  }
  let slash = indexRuneWithEscaping(pattern, "/");
  const last = slash === -1;
  if (last) slash = pattern.length;
  if (pattern.slice(0, slash).join("") === "**") {
    if (last) return true;
    for (let i = 0; i < names.length; i++) {
      try {
        if (doMatching(pattern.slice(slash + 1), names.slice(i), original)) return true;
      } catch {
        // Go ignores the error here: `if m, _ := doMatching(...); m`
      }
    }
    return false;
  }
  const matches = matchComponent(pattern, names[0] ?? [], original);
  if (matches === null) return false;
  if (matches.length === 0 && names.length === 1) return true;
  if (names.length > 1) {
    for (const alt of matches) if (doMatching(alt, names.slice(1), original)) return true;
  }
  return false;
}

/** doublestar v1.3.4 `Match(pattern, name)`; throws BadPatternError where Go returns ErrBadPattern. */
export function doublestarMatch(pattern: string, name: string): boolean {
  return doMatching(runes(pattern), splitPath(runes(name)), pattern);
}

/** Harbor's util.Match: an empty pattern matches everything. */
export function harborMatch(pattern: string, name: string): boolean {
  return pattern.length === 0 || doublestarMatch(pattern, name);
}
