import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as rbacv1 from "@pulumi/kubernetes/rbac/v1";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { TOKENS, type Credential, type TokenMint } from "../types";
import { REFRESHER_NAMESPACE, REFRESHER_SERVICE_ACCOUNT, REFRESHER_TOKENS_SECRET } from "./names";
import { REFRESHER_CREDENTIALS_DIR, REFRESHER_NAME, refresherDeploymentSpec, refresherLabels, refresherRoleRules } from "./pod";
import type { RefresherSettings, RefresherTarget } from "./settings";

/** One backup whose mirrors' docker credential the refresher mints. */
export interface TokenRefresherTarget {
  backup: string;
  /** Its key in the tokens Secret (names.ts tokenKey). */
  key: string;
  mint: TokenMint;
  /** The pull identity's static key (ECR access key, Alibaba AccessKey); absent for a role (IRSA / Pod Identity). */
  credential?: Credential;
}

export interface TokenRefresherArgs {
  targets: readonly TokenRefresherTarget[];
  /** The bundled refresher (one JavaScript file, components/refresher/main.ts); called only here. */
  code: () => string;
  /** Seconds between rounds (default 300): a 12 h ECR token is refreshed after 6 h, a 1 h Alibaba token after 30 min. */
  intervalSeconds?: number;
}

/** Settings the refresher process reads (settings.ts); pure, no secret. */
export function refresherSettings(targets: readonly TokenRefresherTarget[], intervalSeconds: number): RefresherSettings {
  const roles = targets.filter((t) => t.mint.kind === "ecr" && t.mint.identity !== "accessKey");
  if (roles.length > 1) {
    throw new Error(
      `backups ${roles.map((t) => t.backup).join(", ")} each mint with a role (pullIdentity irsa/podIdentity), but the token refresher's one service account can hold one role: give all but one of them pullIdentity.kind accessKey`,
    );
  }
  const out: RefresherTarget[] = targets.map((t) =>
    t.mint.kind === "ecr"
      ? { backup: t.backup, key: t.key, kind: "ecr", region: t.mint.region, registryId: t.mint.registryId, identity: t.mint.identity }
      : { backup: t.backup, key: t.key, kind: "alibaba", region: t.mint.region, ...(t.mint.instanceId ? { instanceId: t.mint.instanceId } : {}) },
  );
  for (const t of targets) {
    const needsKey = t.mint.kind === "alibaba" || t.mint.identity === "accessKey";
    if (needsKey && !t.credential) throw new Error(`backup ${t.backup}: its token is minted with a static key, but it has no pull credential`);
  }
  return { store: { kind: "secret", namespace: REFRESHER_NAMESPACE, name: REFRESHER_TOKENS_SECRET }, credentialsDir: REFRESHER_CREDENTIALS_DIR, intervalSeconds, targets: out };
}

/**
 * The token refresher (docs/token-refresher.md): one Deployment per cluster that mints the docker
 * tokens of backups whose credentials are short-lived (ECR, Alibaba Enterprise) from their pull
 * identities and writes them into one Secret, which every region's mirror writer projects onto
 * its mirror nodes; the writer notices the change and the mirror restarts (draining) with it.
 */
export class TokenRefresher extends pulumi.ComponentResource {
  static readonly __pulumiType = TOKENS.tokenRefresher;

  /** Namespace and name of the tokens Secret the mirror writers project. */
  declare readonly tokensSecret: { namespace: string; name: string };

  constructor(name: string, args: TokenRefresherArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TOKENS.tokenRefresher, name, { backups: args.targets.map((t) => t.backup) }, opts);
    const settings = refresherSettings(args.targets, args.intervalSeconds ?? 300);
    const child = { parent: this };
    const metadata = (n: string) => ({ name: n, namespace: REFRESHER_NAMESPACE, labels: refresherLabels });

    // Created empty; its data is the refresher's from then on (never reset by an `up`).
    const tokens = new corev1.Secret(`${name}-tokens`, { metadata: metadata(REFRESHER_TOKENS_SECRET), type: "Opaque" }, { ...child, ignoreChanges: ["data", "stringData"] });

    const keyData = pulumi.all(
      args.targets.filter((t) => t.credential).map((t) => pulumi.all([t.credential!.username, t.credential!.password]).apply(([id, secret]) => ({ [`${t.key}.id`]: id, [`${t.key}.secret`]: secret }))),
    ).apply((parts) => Object.assign({}, ...parts) as Record<string, string>);
    const credentials = new corev1.Secret(`${name}-credentials`, { metadata: metadata(`${REFRESHER_NAME}-credentials`), type: "Opaque", stringData: pulumi.secret(keyData) }, { ...child, additionalSecretOutputs: ["data", "stringData"] });

    const script = args.code();
    const settingsJson = JSON.stringify(settings, null, 2);
    const code = new corev1.ConfigMap(`${name}-code`, { metadata: metadata(`${REFRESHER_NAME}-code`), data: { "refresher.js": script, "settings.json": settingsJson } }, child);

    const roleArn = args.targets.map((t) => (t.mint.kind === "ecr" && t.mint.identity === "irsa" ? t.mint.roleArn : undefined)).find((a) => a !== undefined);
    const sa = new corev1.ServiceAccount(
      `${name}-sa`,
      { metadata: { ...metadata(REFRESHER_SERVICE_ACCOUNT), ...(roleArn ? { annotations: { "eks.amazonaws.com/role-arn": roleArn } } : {}) } },
      child,
    );
    const role = new rbacv1.Role(`${name}-role`, { metadata: metadata(REFRESHER_NAME), rules: refresherRoleRules() }, child);
    const binding = new rbacv1.RoleBinding(
      `${name}-binding`,
      {
        metadata: metadata(REFRESHER_NAME),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: REFRESHER_NAMESPACE }],
      },
      child,
    );
    const checksum = createHash("sha256").update(script).update("\0").update(settingsJson).digest("hex").slice(0, 16);
    new appsv1.Deployment(
      `${name}-deployment`,
      { metadata: metadata(REFRESHER_NAME), spec: refresherDeploymentSpec({ codeConfigMap: `${REFRESHER_NAME}-code`, credentialsSecret: `${REFRESHER_NAME}-credentials`, checksum }) as unknown as k8sInput.apps.v1.DeploymentSpec },
      { ...child, dependsOn: [tokens, credentials, code, sa, binding] },
    );

    this.tokensSecret = { namespace: REFRESHER_NAMESPACE, name: REFRESHER_TOKENS_SECRET };
    this.registerOutputs({ tokensSecret: this.tokensSecret });
  }
}
