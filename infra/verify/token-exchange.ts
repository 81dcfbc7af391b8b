/**
 * Backups whose docker credentials are minted tokens are read with a token verify mints itself
 * from the backup's pull identity (and, for --repair, from the push identity), with the clouds'
 * SDKs as the token refresher does (components/refresher):
 * - ECR: GetAuthorizationToken through @aws-sdk/client-ecr with the access key, user `AWS`;
 * - Alibaba: GetAuthorizationToken through @alicloud/pop-core with the AccessKey (Enterprise
 *   Edition with its instance, Personal Edition without), a temporary user.
 * A key that cannot mint leaves the backup without a usable credential and the error in its place
 * (never a secret).
 */
import { mintEcr } from "../../components/refresher/mint";
import { mintAlibaba } from "../../components/refresher/mintAlibaba";
import type { BackupTarget, VerifyInput } from "./types";

export interface TokenExchangeOptions {
  /** ECR API endpoint override (tests: the stand-in; or a VPC endpoint). Env: VERIFY_ECR_ENDPOINT. */
  endpoint?: string;
  /** Alibaba Container Registry API endpoint override. Env: VERIFY_ALIBABA_ENDPOINT. */
  alibabaEndpoint?: string;
  mint?: typeof mintEcr;
  /** --repair: also mint with the push key. */
  repair?: boolean;
}

async function exchange(b: BackupTarget, username: string | undefined, password: string | undefined, o: TokenExchangeOptions): Promise<{ username?: string; password?: string }> {
  const m = b.tokenMint;
  if (!m || !username || !password) return { username, password };
  const t =
    m.kind === "ecr"
      ? await (o.mint ?? mintEcr)({ region: m.region, registryId: m.registryId, credentials: { accessKeyId: username, secretAccessKey: password }, endpoint: o.endpoint })
      : await mintAlibaba({ region: m.region, instanceId: m.instanceId, accessKeyId: username, accessKeySecret: password, endpoint: o.alibabaEndpoint });
  return { username: t.username, password: t.password };
}

export async function exchangeTokens(input: VerifyInput, o: TokenExchangeOptions = {}): Promise<VerifyInput> {
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
