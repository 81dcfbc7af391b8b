import * as pulumi from "@pulumi/pulumi";
import type { ArchiveConfig } from "../../infra/config/archives";
import { AzureArchive } from "./azure";
import { GcsArchive } from "./gcs";
import { ArchiveJob, type HarborForArchives } from "./job";
import { OssArchive } from "./oss";
import { S3Archive } from "./s3";
import type { ArchiveStore } from "./types";

export { ARCHIVE_TOKENS, ARCHIVE_STORE_TYPES } from "./types";
export type { ArchiveStore } from "./types";


/** Public description of one archive for stack outputs (`npm run restore`, `npm run verify`). */
export interface ArchiveSummary {
  name: string;
  kind: string;
  path: string;
  projects: string[];
  schedule: string;
  retentionDays: number;
}

function createStore(c: ArchiveConfig, parent: pulumi.Resource): ArchiveStore {
  const name = `archive-${c.name}`;
  switch (c.kind) {
    case "azure":
      return new AzureArchive(name, { config: c }, { parent }).store;
    case "gcs":
      return new GcsArchive(name, { config: c }, { parent }).store;
    case "oss":
      return new OssArchive(name, { config: c }, { parent }).store;
    case "s3":
      return new S3Archive(name, { config: c }, { parent }).store;
  }
}

/** One store component and one archive job per configured archive. */
export function createArchives(
  configs: readonly ArchiveConfig[],
  ctx: HarborForArchives,
  parent: pulumi.Resource,
): { summaries: pulumi.Output<ArchiveSummary[]>; stores: ArchiveStore[] } {
  const stores: ArchiveStore[] = [];
  const summaries: pulumi.Output<ArchiveSummary>[] = [];
  for (const c of configs) {
    const store = createStore(c, parent);
    const projects = c.projects ?? ctx.projects;
    new ArchiveJob(`archive-${c.name}-job`, { ...ctx, store, schedule: c.schedule, projects }, { parent });
    stores.push(store);
    summaries.push(store.path.apply((path) => ({ name: c.name, kind: c.kind, path, projects, schedule: c.schedule, retentionDays: c.retentionDays })));
  }
  return { summaries: pulumi.all(summaries), stores };
}

/** Secret: rclone environment per archive (the job's add-only identity), keyed by archive name. */
export function archiveCredentials(stores: readonly ArchiveStore[]): pulumi.Output<Record<string, Record<string, string>>> {
  return pulumi.secret(pulumi.all(stores.map((s) => s.env.apply((env) => [s.name, env] as const))).apply((list) => Object.fromEntries(list)));
}
