/**
 * The token refresher's process (bundled with esbuild into one file and run by the in-cluster
 * Deployment, components/refresher/index.ts): every `intervalSeconds`, one refresher round
 * (run.ts), a STATUS line per backup on stdout. `--once`: one round, exit 1 when any backup's
 * credential is expired or missing (a Job, a drill, an operator's check).
 * REFRESHER_SETTINGS names the settings file (default /etc/token-refresher/settings.json).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { statusLine, type StoredToken } from "./decide";
import { KubernetesSecretTokenStore, inClusterApi } from "./kubeStore";
import { mintEcr } from "./mint";
import { mintAlibaba } from "./mintAlibaba";
import { DirectoryTokenStore, refreshOnce, type RefreshTarget, type TokenStore } from "./run";
import { parseRefresherSettings, type RefresherSettings, type RefresherTarget } from "./settings";

const DEFAULT_SETTINGS = "/etc/token-refresher/settings.json";

function staticKey(dir: string, key: string): { id: string; secret: string } {
  const read = (f: string) => {
    try {
      return fs.readFileSync(path.join(dir, f), "utf8").trim();
    } catch {
      throw new Error(`no ${f} in ${dir} (the credentials Secret)`);
    }
  };
  return { id: read(`${key}.id`), secret: read(`${key}.secret`) };
}

function mintFor(t: RefresherTarget, credentialsDir: string): () => Promise<StoredToken> {
  if (t.kind === "ecr") {
    return () => {
      const credentials = t.identity === "accessKey" ? staticKey(credentialsDir, t.key) : undefined;
      return mintEcr({ region: t.region, registryId: t.registryId, endpoint: t.endpoint, credentials: credentials && { accessKeyId: credentials.id, secretAccessKey: credentials.secret } });
    };
  }
  return () => {
    const k = staticKey(credentialsDir, t.key);
    return mintAlibaba({ region: t.region, instanceId: t.instanceId, endpoint: t.endpoint, accessKeyId: k.id, accessKeySecret: k.secret });
  };
}

function storeFor(s: RefresherSettings): TokenStore {
  const keys = Object.fromEntries(s.targets.map((t) => [t.backup, t.key]));
  return s.store.kind === "directory" ? new DirectoryTokenStore(s.store.path, keys) : new KubernetesSecretTokenStore(inClusterApi(), s.store.namespace, s.store.name, keys);
}

function targetsFor(s: RefresherSettings): RefreshTarget[] {
  return s.targets.map((t) => ({ backup: t.backup, mint: mintFor(t, s.credentialsDir) }));
}

async function round(targets: RefreshTarget[], store: TokenStore): Promise<boolean> {
  const statuses = await refreshOnce(targets, store);
  for (const s of statuses) console.log(`${new Date().toISOString()} ${statusLine(s)}`);
  return statuses.every((s) => s.state !== "expired" && s.state !== "missing");
}

async function main(argv: string[]): Promise<number> {
  const file = process.env.REFRESHER_SETTINGS ?? DEFAULT_SETTINGS;
  const settings = parseRefresherSettings(fs.readFileSync(file, "utf8"), file);
  const store = storeFor(settings);
  const targets = targetsFor(settings);
  if (argv.includes("--once")) return (await round(targets, store)) ? 0 : 1;
  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopping = true;
    wake?.();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.log(`${new Date().toISOString()} token refresher: ${targets.length} backup(s), a round every ${settings.intervalSeconds}s`);
  while (!stopping) {
    try {
      await round(targets, store);
    } catch (e) {
      // The store itself failed (API server, RBAC): nothing was written; the next round retries.
      console.log(`${new Date().toISOString()} ERROR: ${(e as Error).message}`);
    }
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, settings.intervalSeconds * 1000);
    });
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`token refresher: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(2);
    },
  );
}
