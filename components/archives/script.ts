import * as path from "node:path";

/** The archive job's script, run unchanged by the CronJob (from a ConfigMap) and by the tests. */
export const ARCHIVE_SCRIPT_PATH = path.join(__dirname, "job", "archive.sh");
