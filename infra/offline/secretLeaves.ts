// Secrets per value, as the Pulumi CLI stores them. Under the real engine the program learns only
// which top-level keys hold a secure value (PULUMI_CONFIG_SECRET_KEYS), so a `backups` list with
// one `secure:` password and one plain one passes the program's own check, and the plain one stays
// in the committed stack file. The stack file itself says which leaves are `secure:`
// (StackConfig.secretPaths): `render` and `up` refuse every credential leaf that is not.
import { credentialPaths, PROJECT } from "../config";
import { formatPath } from "../config/format";
import type { StackConfig } from "./stackFiles";

function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Key paths (`backups[1].push.password`) of credential leaves stored in plain text. */
export function plaintextCredentialPaths(sc: Pick<StackConfig, "config" | "secretPaths">): string[] {
  const secret = new Set(sc.secretPaths);
  const out: string[] = [];
  for (const [fullKey, text] of Object.entries(sc.config)) {
    if (!fullKey.startsWith(`${PROJECT}:`)) continue;
    const key = fullKey.slice(PROJECT.length + 1);
    for (const p of credentialPaths(decode(text), [key])) {
      const shown = formatPath(p);
      if (!secret.has(shown)) out.push(shown);
    }
  }
  return out;
}

/** One problem per plain-text credential leaf, naming it and the command that fixes it. */
export function plaintextCredentialProblems(sc: Pick<StackConfig, "stack" | "config" | "secretPaths">): string[] {
  return plaintextCredentialPaths(sc).map(
    (p) => `${p}: expected a Pulumi secret, found plain text (every credential value must itself be secure: in the stack file); run: npx pulumi config set --secret --path '${p}' <value> --stack ${sc.stack}`,
  );
}
