/**
 * The offline commands' store of htpasswd lines (components/shared/htpasswd.ts): a JSON file
 * under node_modules/.cache. Offline, every password is the mock runtime's value, derived from the
 * resource's name (infra/offline/mocks/core.ts), so a render makes the same bcrypt lines every
 * time, and a cost-10 hash is the slowest step left in it (about 0.1 s of CPU for prod). The keys
 * are hashes of the inputs and the values are hashes of mock passwords: nothing real is stored.
 * Installed by installMockRuntime only; under the engine nothing is cached. An unreadable or
 * unwritable file is ignored.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { setHtpasswdLineCache } from "../../components/shared/htpasswd";
import { REPO_ROOT } from "../repo-root";

export function installOfflineHtpasswdCache(file = path.join(REPO_ROOT, "node_modules", ".cache", "registry-topology", "offline-htpasswd.json")): void {
  let lines: Record<string, string> = {};
  try {
    lines = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
  } catch {
    /* no cache yet */
  }
  setHtpasswdLineCache({
    get: (key) => lines[key],
    set: (key, line) => {
      lines = { ...lines, [key]: line };
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(lines));
        fs.renameSync(tmp, file);
      } catch {
        /* read-only tree: no cache */
      }
    },
  });
}
