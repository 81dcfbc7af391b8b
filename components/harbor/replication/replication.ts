import * as pulumi from "@pulumi/pulumi";
import type { HarborArgs } from "../args";
import type { ReplicationSettings } from "../args";
import { DOCKER_HUB_ENDPOINT } from "../args";
import { TOKENS, type Credential, type RegistryEndpoint } from "../../types";
import { HarborRegistryEndpoint } from "../api/endpoint";
import { ReplicationPolicy } from "../api/policy";
import { HarborProject } from "../api/project";
import { BUILTIN_PROJECTS, destinationPath, MIRROR_ROBOT_NAME, policyFilters, policyName } from "./plan";
import { RobotAccount } from "../api/robot";

export interface ReplicationArgs {
  harborUrl: pulumi.Input<string>;
  harborUsername: pulumi.Input<string>;
  /** Harbor admin password (secret); never handed to mirrors. */
  harborPassword: pulumi.Input<string>;
  /** Everything here waits for it: Harbor's API exists only once the chart is up. */
  harborRelease: pulumi.Resource;
  projects: HarborArgs["projects"];
  backups: readonly RegistryEndpoint[];
  replication: ReplicationSettings;
  /** A Docker Hub proxy-cache project, with the Docker Hub endpoint it caches from. */
  dockerHubProxyCache?: HarborArgs["dockerHubProxyCache"];
}

/**
 * Harbor's side of the topology: its projects, one registry endpoint per backup, one push policy
 * per (backup, project), and one pull-only robot for the region mirrors.
 */
export class Replication extends pulumi.ComponentResource {
  static readonly __pulumiType = TOKENS.harborReplication;

  declare readonly projects: HarborProject[];
  declare readonly endpoints: HarborRegistryEndpoint[];
  declare readonly policies: ReplicationPolicy[];
  declare readonly robot: RobotAccount;
  /** What the region mirrors log in to Harbor with (never the admin credential). */
  declare readonly mirrorPull: Credential;

  constructor(name: string, args: ReplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    const r = args.replication;
    super(TOKENS.harborReplication, name, {
      backups: args.backups.map((b) => b.name),
      projects: args.projects.map((p) => p.name),
      trigger: r.trigger,
      enabled: r.enabled,
    }, opts);

    const child = { parent: this, dependsOn: [args.harborRelease] };
    const conn = { harborUrl: args.harborUrl, harborUsername: args.harborUsername, harborPassword: pulumi.secret(args.harborPassword) };

    const projects = args.projects.map((p) => new HarborProject(`${name}-project-${p.name}`, {
      ...conn,
      name: p.name,
      public: p.public,
      storageQuotaGiB: p.storageQuotaGiB,
      adoptExisting: BUILTIN_PROJECTS.includes(p.name),
      forceDestroy: p.forceDestroy ?? false,
      // Harbor's own project stays when the stack is destroyed.
    }, { ...child, retainOnDelete: BUILTIN_PROJECTS.includes(p.name) }));

    const endpoints: HarborRegistryEndpoint[] = [];
    const policies: ReplicationPolicy[] = [];
    for (const b of args.backups) {
      const endpoint = new HarborRegistryEndpoint(`${name}-endpoint-${b.name}`, {
        ...conn,
        name: b.name,
        type: b.harborAdapter,
        url: b.url,
        accessKey: b.push.username,
        accessSecret: b.push.password,
        remoteInsecure: b.insecure,
        description: `registry-topology backup ${b.name} (${b.kind}, ${b.failureDomain})`,
      }, child);
      endpoints.push(endpoint);
      const dest = b.pathPrefix.apply((prefix) => destinationPath(prefix, b.keepsProjectPath));
      for (const [i, p] of args.projects.entries()) {
        policies.push(new ReplicationPolicy(`${name}-policy-${b.name}-${p.name}`, {
          ...conn,
          name: policyName(b.name, p.name),
          description: `push ${p.name} to ${b.name}`,
          destinationRegistryId: endpoint.registryId,
          destinationRegistryName: b.name,
          projectName: p.name,
          destinationNamespace: dest.namespace,
          destinationNamespaceReplaceCount: dest.replaceCount,
          trigger: r.trigger,
          cron: r.trigger === "scheduled" ? r.cron : undefined,
          filters: policyFilters(p.name, r),
          deletion: r.deletion,
          override: r.override,
          enabled: r.enabled,
          speedKbps: r.speedLimitKbps,
          backfill: r.backfill,
        }, { parent: this, dependsOn: [args.harborRelease, projects[i]!] }));
      }
    }

    if (args.dockerHubProxyCache) this.dockerHubCache(name, args.dockerHubProxyCache, conn, child);

    const robot = new RobotAccount(`${name}-mirror-robot`, {
      ...conn,
      name: MIRROR_ROBOT_NAME,
      description: "registry-topology region mirrors: pull only",
      projects: args.projects.map((p) => p.name),
      // A project replaced under the same name gets a new id, and Harbor drops the robot's access with the old one.
      projectIds: projects.map((p) => p.projectId),
      duration: -1,
    }, { parent: this, dependsOn: [args.harborRelease, ...projects] });

    this.projects = projects;
    this.endpoints = endpoints;
    this.policies = policies;
    this.robot = robot;
    this.mirrorPull = { username: robot.robotName, password: pulumi.secret(robot.secret) };

    this.registerOutputs({
      dockerHubProxyCacheProject: args.dockerHubProxyCache?.project,
      registryIds: pulumi.all(endpoints.map((e) => e.registryId)),
      policyIds: pulumi.all(policies.map((p) => p.policyId)),
      mirrorRobotName: robot.robotName,
    });
  }

  /** Harbor fetches from Docker Hub once and serves every later pull from its cache. */
  private dockerHubCache(
    name: string,
    hub: NonNullable<HarborArgs["dockerHubProxyCache"]>,
    conn: { harborUrl: pulumi.Input<string>; harborUsername: pulumi.Input<string>; harborPassword: pulumi.Output<string> },
    child: pulumi.CustomResourceOptions,
  ): void {
    const upstream = new HarborRegistryEndpoint(`${name}-endpoint-${DOCKER_HUB_ENDPOINT}`, {
      ...conn,
      name: DOCKER_HUB_ENDPOINT,
      type: "docker-hub",
      url: "https://hub.docker.com",
      accessKey: hub.credential?.username,
      accessSecret: hub.credential ? pulumi.secret(hub.credential.password) : undefined,
      description: `registry-topology: Docker Hub, upstream of proxy-cache project ${hub.project}`,
    }, child);
    new HarborProject(`${name}-project-${hub.project}`, {
      ...conn,
      name: hub.project,
      public: hub.public,
      // Harbor's -1 means no bandwidth limit.
      proxyCache: { registryId: upstream.registryId, speedKbps: hub.speedLimitKbps > 0 ? hub.speedLimitKbps : -1 },
      // A proxy cache always holds images: replacing it (new upstream) or destroying it needs this.
      forceDestroy: hub.forceDestroy ?? false,
    }, child);
  }
}
