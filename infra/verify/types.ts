/** A registry to read: the primary (source) or a backup (destination). No secret leaves this process. */
export interface RegistryTarget {
  name: string;
  /** scheme://host[:port] of the Registry v2 API. */
  baseUrl: string;
  username?: string;
  password?: string;
}

export interface BackupTarget extends RegistryTarget {
  /** Where Harbor projects land ("" or "proj/repo"). */
  pathPrefix: string;
  /** false: the project level is dropped (`library/app` -> `<prefix>/app`). */
  keepsProjectPath: boolean;
  /**
   * Which identity `username`/`password` are: the backup's pull-only identity, the push identity
   * (only when asked for with --read-with-push), or none in the stack outputs (then the backup
   * is not checked: no silent fallback to the push identity). Absent: as given (`username`).
   */
  readIdentity?: "pull" | "push" | "none";
  /** Credential with push rights, used only by --repair. */
  pushUsername?: string;
  pushPassword?: string;
  /**
   * The credentials are a cloud identity docker tokens are minted from (ECR, Alibaba: an access
   * key), not a docker password: verify mints a token with them first (infra/verify/token-exchange.ts).
   */
  tokenMint?: { kind: "ecr"; region: string; registryId: string } | { kind: "alibaba"; region: string; instanceId?: string };
}

export interface VerifyInput {
  source: RegistryTarget & { projects: string[] };
  backups: BackupTarget[];
}

/** One tag of one repository, by its path on the source. */
export interface ImageRef {
  repository: string;
  tag: string;
  /** Source digest (missing/different) or backup digest (extra). */
  digest: string;
  /** Path on the backup. */
  backupRepository: string;
  backupDigest?: string;
}

/**
 * checked; unreachable (network, auth, HTTP errors); not-a-registry (no Registry v2 API at that
 * URL); bad-answer (pagination loops, malformed listings); deadline (the run's deadline passed);
 * not-checked (no identity to read it with).
 */
export type CheckStatus = "checked" | "unreachable" | "not-a-registry" | "bad-answer" | "deadline" | "not-checked";

export interface BackupReport {
  name: string;
  status: CheckStatus;
  reason?: string;
  inSync: number;
  missing: ImageRef[];
  different: ImageRef[];
  extra: ImageRef[];
  /** Age of the newest image that is missing or differs (replication lag), from its config's `created`. */
  newestMissingAgeSeconds?: number;
  repaired?: number;
  requests: number;
  /** Wall time spent on this backup. */
  ms: number;
}

export interface VerifyReport {
  /** `projectTags`: tags per replicated project (when the source was read). */
  source: { name: string; status: CheckStatus; reason?: string; repositories: number; tags: number; projectTags?: Record<string, number>; requests: number; ms: number };
  backups: BackupReport[];
  /** 0 all in sync, 1 something missing or different, 2 a registry could not be checked. */
  exitCode: 0 | 1 | 2;
}
