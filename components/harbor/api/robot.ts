import * as pulumi from "@pulumi/pulumi";
import { robotProvider, type RobotAccess } from "./robot-provider";
import { connectionInputs, type HarborConnectionArgs } from "./resource-args";
import { DynamicResource } from "../../shared/dynamic-resource";

export interface RobotAccountArgs extends HarborConnectionArgs {
  /** Short name; Harbor stores it bare and answers it with its robot_name_prefix setting (default robot$). */
  name: pulumi.Input<string>;
  level?: pulumi.Input<"system">;
  description?: pulumi.Input<string>;
  /** Projects it may pull from. */
  projects: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Those projects' ids (HarborProject.projectId). Harbor stores a robot's permission against the
   * project's id and drops it with the project (v2.15.1 src/controller/robot/controller.go
   * createPermission/toScope, populatePermissions); with the ids as an input, a replaced project
   * (same name, new id) updates the robot, which stores its permissions again.
   */
  projectIds?: pulumi.Input<pulumi.Input<number>[]>;
  /** Read-only access per project; default repository:pull (all `docker pull` needs). */
  access?: pulumi.Input<RobotAccess[]>;
  /** -1 never expires, or days. */
  duration?: pulumi.Input<number>;
  /** Change it to have Harbor mint a new secret. */
  rotationToken?: pulumi.Input<string>;
}

/** A Harbor system robot account, pull-only; its secret is a secret output. */
export class RobotAccount extends DynamicResource {
  declare readonly robotId: pulumi.Output<number>;
  /** Full name to log in with, as Harbor answers it: <robot_name_prefix><name> (robot$<name> by default). */
  declare readonly robotName: pulumi.Output<string>;
  /** Secret. */
  declare readonly secret: pulumi.Output<string>;

  constructor(name: string, args: RobotAccountArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      robotProvider,
      name,
      {
        ...connectionInputs(args),
        name: args.name,
        level: args.level ?? "system",
        description: args.description ?? "",
        projects: args.projects,
        projectIds: args.projectIds ?? [],
        access: args.access ?? [{ resource: "repository", action: "pull" }],
        duration: args.duration ?? -1,
        rotationToken: args.rotationToken ?? "",
        robotId: undefined,
        robotName: undefined,
        secret: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["harborPassword", "secret"] }),
      "harbor",
      "RobotAccount",
    );
  }
}
