import * as pulumi from "@pulumi/pulumi";
import { projectProvider } from "./project-provider";
import { connectionInputs, type HarborConnectionArgs } from "./resource-args";
import { DynamicResource } from "../../shared/dynamic-resource";

export interface HarborProjectArgs extends HarborConnectionArgs {
  name: pulumi.Input<string>;
  public?: pulumi.Input<boolean>;
  /** Storage quota in GiB; unlimited when absent. */
  storageQuotaGiB?: pulumi.Input<number>;
  /** Make it a proxy cache of a registry endpoint (e.g. type docker-hub, against Docker Hub pull limits). */
  proxyCache?: pulumi.Input<{ registryId: pulumi.Input<number>; speedKbps?: pulumi.Input<number> }>;
  /**
   * Delete the project's repositories (and their images) when the project is deleted: on destroy,
   * rename, or a proxy-cache upstream change. Default false: deleting a project that holds
   * repositories fails with an error naming them (Harbor refuses with 412). Like
   * terraform-provider-harbor's `force_destroy`.
   */
  forceDestroy?: pulumi.Input<boolean>;
}

/** A Harbor project (the unit that is replicated and that robots get access to). */
export class HarborProject extends DynamicResource {
  declare readonly projectId: pulumi.Output<number>;
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: HarborProjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      projectProvider,
      name,
      {
        ...connectionInputs(args),
        name: args.name,
        public: args.public ?? false,
        storageQuotaGiB: args.storageQuotaGiB,
        proxyCache: args.proxyCache,
        forceDestroy: args.forceDestroy ?? false,
        projectId: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["harborPassword"] }),
      "harbor",
      "Project",
    );
  }
}
