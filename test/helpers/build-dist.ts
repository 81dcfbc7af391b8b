// vitest globalSetup: compile the commands to dist/ once before any test file runs, so tests that
// spawn a command the way npm runs it (scripts/run.js) do not all compile it at once.
import { execFileSync } from "node:child_process";
import * as path from "node:path";

export default function setup(): void {
  execFileSync(process.execPath, [path.join(__dirname, "..", "..", "scripts", "build.js")], { stdio: "inherit" });
}
