// The exporter's entry point in its pod: node main.js <settings.json> <credentials dir>.
// Prints "listening on <port>" once serving; SIGTERM stops it.
import * as fs from "node:fs";
import { startExporter } from "./server";
import { parseSettings } from "./targets";

async function main(): Promise<void> {
  const [settingsFile, credentialsDir] = process.argv.slice(2);
  if (!settingsFile || !credentialsDir) throw new Error("usage: node main.js <settings.json> <credentials dir>");
  const settings = parseSettings(JSON.parse(fs.readFileSync(settingsFile, "utf8")));
  const handle = await startExporter(settings, credentialsDir);
  console.log(`listening on ${handle.port}`);
  const stop = () => void handle.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => {
  console.error(`registry-topology exporter: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
});
