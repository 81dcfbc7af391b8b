import * as pulumi from "@pulumi/pulumi";
import { endpointProvider } from "./endpoint-provider";
import { connectionInputs, type HarborConnectionArgs } from "./resource-args";
import { DynamicResource } from "../../shared/dynamic-resource";

export interface HarborRegistryEndpointArgs extends HarborConnectionArgs {
  /** Endpoint name in Harbor (= the backup's name). */
  name: pulumi.Input<string>;
  /** Harbor adapter: azure-acr | google-gcr | docker-registry | ali-acr | harbor | docker-hub ... */
  type: pulumi.Input<string>;
  url: pulumi.Input<string>;
  accessKey?: pulumi.Input<string>;
  /** A secret input; the outputs keep only a salted hash (`accessSecretHash`, itself a secret output). */
  accessSecret?: pulumi.Input<string>;
  /** Harbor skips TLS verification toward this remote registry. */
  remoteInsecure?: pulumi.Input<boolean>;
  description?: pulumi.Input<string>;
  /** How long to retry Harbor's 400 "unhealthy" (new cloud identities propagate slowly). Default 300. */
  unhealthyRetrySeconds?: pulumi.Input<number>;
}

/** A Harbor registry endpoint (Administration > Registries): a replication destination. */
export class HarborRegistryEndpoint extends DynamicResource {
  declare readonly registryId: pulumi.Output<number>;
  declare readonly name: pulumi.Output<string>;
  declare readonly type: pulumi.Output<string>;
  declare readonly url: pulumi.Output<string>;
  /** Secret: a salted scrypt hash of the access secret, so diff sees a rotation. */
  declare readonly accessSecretHash: pulumi.Output<string>;

  constructor(name: string, args: HarborRegistryEndpointArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      endpointProvider,
      name,
      {
        ...connectionInputs(args, "harborInsecure"),
        name: args.name,
        type: args.type,
        url: args.url,
        accessKey: args.accessKey ?? "",
        accessSecret: args.accessSecret === undefined ? undefined : pulumi.secret(args.accessSecret),
        insecure: args.remoteInsecure ?? false,
        description: args.description ?? "",
        unhealthyRetrySeconds: args.unhealthyRetrySeconds ?? 300,
        registryId: undefined,
        accessSecretHash: undefined,
      },
      // The hash too: for a low-entropy password a salted hash in plain state is guessable offline.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["harborPassword", "accessSecret", "accessSecretHash"] }),
      "harbor",
      "RegistryEndpoint",
    );
  }
}
