import * as cr from "@pulumi/alicloud/cr";
import * as cs from "@pulumi/alicloud/cs";
import { getCallerIdentityOutput } from "@pulumi/alicloud/getCallerIdentity";
import { Provider } from "@pulumi/alicloud/provider";
import * as ram from "@pulumi/alicloud/ram";
import * as pulumi from "@pulumi/pulumi";
import type { AlibabaBackupSettings } from "./args";
import { TOKENS, type BackupComponentProps, type RegistryEndpoint } from "../types";
import { alibabaHost, alibabaPolicyDocument } from "./alibabaPolicy";
import { identityName, rotationSuffix } from "../shared/naming";

export interface AlibabaBackupArgs {
  config: AlibabaBackupSettings;
  /** Harbor replicates deletions: the push user may also delete images in the namespace. */
  replicateDeletions?: boolean;
}

/**
 * Alibaba Cloud ACR backup: a namespace (Personal Edition, or in an Enterprise instance) and two
 * RAM users with custom policies limited to it. The push user gets an AccessKey for Harbor's
 * ali-acr adapter. No API creates a long-lived registry password, so by default the pull user gets
 * an AccessKey too and the mirrors' docker credential is a temporary token the token refresher
 * mints from it (GetAuthorizationToken, both editions; components/refresher). A fixed password set
 * in the console (`pullCredential`) is the alternative for those who want one.
 */
export class AlibabaBackup extends pulumi.ComponentResource {
  declare readonly endpoint: RegistryEndpoint;

  constructor(name: string, args: AlibabaBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    const pullCredential = c.pullCredential;
    const props: BackupComponentProps = { backupName: c.name, kind: "alibaba", harborAdapter: "ali-acr", failureDomain: `alibaba:${c.region}` };
    super(TOKENS.alibabaBackup, name, props, opts);
    // Region comes from this backup's config, not from stack-wide alicloud:region.
    const provider = new Provider(`${name}-provider`, { region: c.region }, { parent: this });
    const child = { parent: this, provider };
    const namespace = c.instanceId
      ? new cs.RegistryEnterpriseNamespace(`${name}-namespace`, { instanceId: c.instanceId, name: c.namespace, autoCreate: true, defaultVisibility: "PRIVATE" }, child).name
      : new cr.Namespace(`${name}-namespace`, { name: c.namespace, autoCreate: true, defaultVisibility: "PRIVATE" }, child).name;
    const accountId = getCallerIdentityOutput({ parent: this, provider }).accountId;

    const user = (role: "push" | "pull") => {
      const userName = identityName(pulumi.getStack(), c.name, role);
      const u = new ram.User(`${name}-${role}`, { name: userName, displayName: `registry-topology ${c.name} ${role}`, comments: `ACR ${role} on ${c.namespace} only`, force: true }, child);
      const policy = new ram.Policy(
        `${name}-${role}`,
        {
          policyName: userName,
          description: `registry-topology: ${role} on ACR namespace ${c.namespace} only`,
          policyDocument: pulumi.all([accountId, namespace]).apply(([acct, ns]) =>
            JSON.stringify(alibabaPolicyDocument({ region: c.region, accountId: acct, namespace: ns, instanceId: c.instanceId }, role, { replicateDeletions: args.replicateDeletions })),
          ),
          force: true,
        },
        child,
      );
      new ram.UserPolicyAttachment(`${name}-${role}`, { userName: u.name, policyName: policy.policyName, policyType: "Custom" }, child);
      return u;
    };

    const pushUser = user("push");
    const pullUser = user("pull");
    // A new logical name per rotation value: the new key is created before the old one is deleted.
    const key = new ram.AccessKey(`${name}-push-${rotationSuffix(c.credentialRotation)}`, { userName: pushUser.name }, { ...child, additionalSecretOutputs: ["secret"] });
    // The pull user's AccessKey mints the mirrors' tokens (only without a fixed pullCredential).
    const pullKey = pullCredential ? undefined : new ram.AccessKey(`${name}-pull-${rotationSuffix(c.credentialRotation)}`, { userName: pullUser.name }, { ...child, additionalSecretOutputs: ["secret"] });

    const host = alibabaHost(c);
    this.endpoint = {
      name: c.name,
      kind: "alibaba",
      host: pulumi.output(host),
      pathPrefix: namespace,
      keepsProjectPath: false,
      url: pulumi.output(`https://${host}`),
      harborAdapter: "ali-acr",
      push: { username: key.id, password: pulumi.secret(key.secret) },
      pull: pullCredential ? { username: pullCredential.username, password: pulumi.secret(pullCredential.password) } : { username: pullKey!.id, password: pulumi.secret(pullKey!.secret) },
      ...(pullCredential ? {} : { tokenMint: { kind: "alibaba" as const, region: c.region, ...(c.instanceId ? { instanceId: c.instanceId } : {}) } }),
      failureDomain: props.failureDomain,
      insecure: false,
    };
    this.registerOutputs({ host: this.endpoint.host, namespace, pushUser: pushUser.name });
  }
}
