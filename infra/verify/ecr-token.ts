/**
 * ECR backups are read with a docker token verify mints itself from the backup's pull access key
 * (and, for --repair, from the push key): GetAuthorizationToken through @aws-sdk/client-ecr
 * (components/refresher/mint.ts), user `AWS`. A key that cannot mint leaves the backup without a
 * usable credential and the error in its place (never a secret).
 */
import { mintEcr } from "../../components/refresher/mint";
import type { BackupTarget, VerifyInput } from "./types";

export interface EcrExchangeOptions {
  /** ECR API endpoint override (tests: the stand-in; or a VPC endpoint). Env: VERIFY_ECR_ENDPOINT. */
  endpoint?: string;
  mint?: typeof mintEcr;
  /** --repair: also mint with the push key. */
  repair?: boolean;
}

async function exchange(b: BackupTarget, username: string | undefined, password: string | undefined, o: EcrExchangeOptions): Promise<{ username?: string; password?: string }> {
  if (!b.tokenMint || !username || !password) return { username, password };
  const t = await (o.mint ?? mintEcr)({ region: b.tokenMint.region, registryId: b.tokenMint.registryId, credentials: { accessKeyId: username, secretAccessKey: password }, endpoint: o.endpoint });
  return { username: t.username, password: t.password };
}

export async function exchangeEcrTokens(input: VerifyInput, o: EcrExchangeOptions = {}): Promise<VerifyInput> {
  const backups = await Promise.all(
    input.backups.map(async (b) => {
      if (!b.tokenMint) return b;
      const read = await exchange(b, b.username, b.password, o);
      // The push key mints only for --repair (an access key is no docker password: unused otherwise).
      const push = o.repair ? await exchange(b, b.pushUsername, b.pushPassword, o) : { username: undefined, password: undefined };
      return { ...b, ...read, pushUsername: push.username, pushPassword: push.password };
    }),
  );
  return { ...input, backups };
}
