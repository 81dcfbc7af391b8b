// Does a Harbor replication policy's filters copy anything, and does it copy a whole project?
// Matching is Harbor's own (./doublestar.ts, a port of the matcher Harbor calls); what is
// matched against is decided here.
//
// "Real repositories" of a project: the stack declares Harbor projects, not repositories
// (repositories appear when someone pushes), so the repositories a backup must receive are every
// name distribution accepts under "<project>/": one or more path components of
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* (distribution/reference regexp.go, `path-component`). A name
// filter counts as covering the project only when it selects all of them; it is checked against
// probes of every shape of that grammar (1 to 4 components, each leading character class, each
// separator). A filter that selects none of them copies nothing from the project.
//
// Tags: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} (distribution/reference `tag`). Harbor's tag filter
// (src/pkg/reg/filter/artifact.go artifactTagFilter.Filter) keeps, per artifact, the tags the
// pattern matches ("matches") or does not match ("excludes"); untagged artifacts are matched as "".
import { BadPatternError, harborMatch } from "./doublestar";

const COMPONENTS = ["a", "z9", "0", "9z", "app", "a.b", "a_b", "a__b", "a-b", "a--b", "x-snapshot", "web.v2_beta-1"];

/** Repository names (without the project) of every shape the grammar allows. */
export const REPOSITORY_PROBES: readonly string[] = [
  ...COMPONENTS,
  ...COMPONENTS.map((c) => `team/${c}`),
  ...COMPONENTS.map((c) => `${c}/app`),
  "a/b/c",
  "a/b/c/d",
  "0/9/z/a-b",
];

/** Tags of every shape the grammar allows (leading char classes, separators, the longest). */
export const TAG_PROBES: readonly string[] = [
  "latest", "a", "Z", "0", "_", "v1", "V1.2.3", "1.0", "1.0.0-rc.1", "sha-0123abc", "x-snapshot", "release_2026.01", "a.b-c_d", "___", "9-", "_.-", "A".repeat(128),
];

export type FilterVerdict =
  | { kind: "ok" }
  | { kind: "bad-pattern"; filter: "name" | "tag"; pattern: string }
  | { kind: "copies-nothing"; why: string }
  | { kind: "misses"; examples: string[] };

function safe(pattern: string, name: string): boolean | BadPatternError {
  try {
    return harborMatch(pattern, name);
  } catch (e) {
    if (e instanceof BadPatternError) return e;
    throw e;
  }
}

const TAG_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
const REPO_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789._-/";
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** distribution/reference: path-component (/ path-component)* */
const REPO_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** Index after the `}` closing the `{` at `open`, or -1 (escapes and nesting as doublestar's splitAlternatives). */
function closingBrace(p: string, open: number): number {
  let depth = 0;
  for (let i = open; i < p.length; i++) {
    if (p[i] === "\\") i++;
    else if (p[i] === "{") depth++;
    else if (p[i] === "}" && --depth === 0) return i + 1;
  }
  return -1;
}

/** Top-level options of `{...}` content. */
function options(inner: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === "\\") i++;
    else if (inner[i] === "{") depth++;
    else if (inner[i] === "}") depth--;
    else if (inner[i] === "," && depth === 0) {
      out.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  out.push(inner.slice(start));
  return out;
}

/**
 * Candidate names a pattern could match: each wildcard replaced by a few fillers, each character
 * class by every character of `alphabet` it admits, each `{...}` by each option (bounded). Only
 * candidates; the caller keeps those that are valid names AND that the real matcher accepts.
 */
export function witnesses(pattern: string, alphabet: string, limit = 5000): string[] {
  let out = [""];
  const push = (opts: string[]) => {
    out = out.flatMap((o) => opts.map((x) => o + x)).slice(0, limit);
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        push(["", "a", "0", "a/a"]);
      } else push(["", "a", "0"]);
    } else if (c === "?") push(["a", "0", ".", "_", "-"]);
    else if (c === "\\") push(i + 1 < pattern.length ? [pattern[++i]!] : []);
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) return [];
      const cls = `[${pattern.slice(i + 1, end)}]`;
      push([...alphabet].filter((ch) => ch !== "/" && safe(cls, ch) === true));
      i = end;
    } else if (c === "{") {
      const end = closingBrace(pattern, i);
      if (end === -1) return [];
      const rest = pattern.slice(end);
      const prefixes = out;
      const next: string[] = [];
      for (const o of options(pattern.slice(i + 1, end - 1))) {
        for (const w of witnesses(o + rest, alphabet, limit)) for (const p of prefixes) if (next.length < limit) next.push(p + w);
      }
      return next;
    } else push([c]);
  }
  return out;
}

/** What the tag filter leaves of a project's artifacts. */
function tagVerdict(pattern: string, decoration: string): FilterVerdict {
  if (pattern === "") return { kind: "ok" };
  // doublestar reports a malformed pattern only when matching reaches the broken part, so try
  // every probe and witness: any tag that reaches it makes Harbor's filter (and the run) fail.
  if ([...TAG_PROBES, ...witnesses(pattern, TAG_ALPHABET)].some((t) => safe(pattern, t) instanceof BadPatternError)) return { kind: "bad-pattern", filter: "tag", pattern };
  if (decoration === "excludes") {
    const kept = TAG_PROBES.filter((t) => safe(pattern, t) !== true);
    const untaggedKept = safe(pattern, "") !== true;
    if (kept.length === 0 && !untaggedKept) return { kind: "copies-nothing", why: `its tag filter excludes "${pattern}", which matches every tag` };
    return { kind: "ok" };
  }
  const matchesSome = safe(pattern, "") === true || TAG_PROBES.some((t) => safe(pattern, t) === true) || witnesses(pattern, TAG_ALPHABET).some((w) => TAG_RE.test(w) && safe(pattern, w) === true);
  return matchesSome ? { kind: "ok" } : { kind: "copies-nothing", why: `its tag filter "${pattern}" matches no valid tag` };
}

/**
 * The verdict for one project: does the policy (name filter, tag filter) copy every repository of
 * `project`, and at least some of its tags? `nameFilter` undefined/"" means no name filter.
 */
export function filterVerdict(project: string, nameFilter: string | undefined, tag?: { pattern?: string; decoration?: string }): FilterVerdict {
  const name = nameFilter ?? "";
  const repos = REPOSITORY_PROBES.map((r) => `${project}/${r}`);
  const results = repos.map((r) => safe(name, r));
  if (results.some((x) => x instanceof BadPatternError)) return { kind: "bad-pattern", filter: "name", pattern: name };
  const missed = repos.filter((_, i) => results[i] !== true);
  const prefix = `${project}/`;
  const matchesSome =
    missed.length < repos.length ||
    witnesses(name, REPO_ALPHABET).some((w) => w.startsWith(prefix) && REPO_RE.test(w.slice(prefix.length)) && safe(name, w) === true);
  if (!matchesSome) return { kind: "copies-nothing", why: `its name filter "${name}" matches none of project ${project}'s repositories` };
  const t = tagVerdict(tag?.pattern ?? "", tag?.decoration ?? "matches");
  if (t.kind !== "ok") return t;
  if (missed.length > 0) return { kind: "misses", examples: missed.slice(0, 3) };
  return { kind: "ok" };
}
