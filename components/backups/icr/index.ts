import * as pulumi from "@pulumi/pulumi";
import { ICR_HOSTS } from "./hosts";
import type { IcrBackupSettings } from "../args";
import { TOKENS, type BackupComponentProps, type Credential, type RegistryEndpoint } from "../../types";
import { identityName, rotationSuffix } from "../../shared/naming";
import { AccessPolicy, CrNamespace, ServiceId, ServiceIdApiKey } from "./resources";

export { IBM_TOKENS } from "./resources";

export const IBM_IAM_URL = "https://iam.cloud.ibm.com";
/** Docker user name for IBM Cloud API keys. */
export const ICR_USERNAME = "iamapikey";
/**
 * Least privilege per identity: Writer pushes (and reads what it pushed), Reader pulls. Harbor
 * uses the generic docker-registry adapter here, whose DeleteManifest is a registry-API DELETE.
 * IBM documents image deletion (`ibmcloud cr image-rm`) under Writer, so replicated deletions need
 * no extra grant, and there is no narrower built-in role that pushes without deleting. That
 * mapping is from IBM's "Managing IAM access for Container Registry" as remembered, not verified
 * here.
 */
export const ICR_ROLES = { push: ["Writer"], pull: ["Reader"] } as const;

export interface IcrBackupArgs {
  config: IcrBackupSettings;
  /** API endpoints; tests point them at the IBM emulator. */
  endpoints?: { iamUrl: string; registryApiUrl: string; resourceManagerUrl?: string };
}

/**
 * IBM Cloud Container Registry backup: a namespace, and two service IDs with API keys and IAM
 * policies on that namespace only: Writer (Harbor) and Reader (mirrors). Managed by this
 * project's dynamic provider (there is no IBM Pulumi provider).
 */
export class IcrBackup extends pulumi.ComponentResource {
  declare readonly endpoint: RegistryEndpoint;

  constructor(name: string, args: IcrBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    const props: BackupComponentProps = { backupName: c.name, kind: "icr", harborAdapter: "docker-registry", failureDomain: `ibm:${c.region}` };
    super(TOKENS.icrBackup, name, props, opts);

    const host = ICR_HOSTS[c.region];
    const iamUrl = args.endpoints?.iamUrl ?? IBM_IAM_URL;
    const registryApiUrl = args.endpoints?.registryApiUrl ?? `https://${host}`;
    const namespace = new CrNamespace(
      `${name}-namespace`,
      {
        iamUrl,
        registryApiUrl,
        ...(args.endpoints?.resourceManagerUrl ? { resourceManagerUrl: args.endpoints.resourceManagerUrl } : {}),
        accountId: c.accountId,
        name: c.namespace,
        ...(c.resourceGroupId ? { resourceGroupId: c.resourceGroupId } : {}),
      },
      { parent: this },
    );

    const identity = (role: "push" | "pull"): Credential => {
      const idName = identityName(pulumi.getStack(), c.name, role, 100);
      const serviceId = new ServiceId(
        `${name}-${role}`,
        { iamUrl, accountId: c.accountId, name: idName, description: `registry-topology: ${ICR_ROLES[role].join("+")} on ${host}/${c.namespace} only` },
        { parent: this },
      );
      const key = new ServiceIdApiKey(
        `${name}-${role}`,
        { iamUrl, accountId: c.accountId, iamId: serviceId.iamId, name: `${idName}-${rotationSuffix(c.credentialRotation)}`, description: "Docker login (iamapikey) for registry-topology", rotation: c.credentialRotation },
        { parent: this },
      );
      new AccessPolicy(
        `${name}-${role}`,
        {
          iamUrl,
          accountId: c.accountId,
          subjectIamId: serviceId.iamId,
          serviceName: "container-registry",
          region: c.region,
          resourceType: "namespace",
          resource: namespace.name,
          roles: [...ICR_ROLES[role]],
        },
        { parent: this },
      );
      return { username: ICR_USERNAME, password: pulumi.secret(key.apikey) };
    };

    const push = identity("push");
    const pull = identity("pull");
    this.endpoint = {
      name: c.name,
      kind: "icr",
      host: pulumi.output(host),
      pathPrefix: namespace.name,
      keepsProjectPath: true,
      url: pulumi.output(`https://${host}`),
      harborAdapter: "docker-registry",
      push,
      pull,
      failureDomain: props.failureDomain,
      insecure: false,
    };
    this.registerOutputs({ host: this.endpoint.host, namespace: namespace.name });
  }
}
