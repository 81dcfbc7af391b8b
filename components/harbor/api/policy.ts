import * as pulumi from "@pulumi/pulumi";
import { policyProvider, type PolicyFilters } from "./policy-provider";
import { connectionInputs, type HarborConnectionArgs } from "./resource-args";
import { DynamicResource } from "../../shared/dynamic-resource";

export interface ReplicationPolicyArgs extends HarborConnectionArgs {
  name: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  destinationRegistryId: pulumi.Input<number>;
  /** The backup's name (for people and the policy pack). */
  destinationRegistryName: pulumi.Input<string>;
  projectName: pulumi.Input<string>;
  destinationNamespace: pulumi.Input<string>;
  /** Always explicit: 0 keeps the full source path, N drops N leading components. */
  destinationNamespaceReplaceCount: pulumi.Input<number>;
  trigger: pulumi.Input<"event_based" | "scheduled" | "manual">;
  /** Harbor cron (6 fields, seconds first) when trigger is scheduled. */
  cron?: pulumi.Input<string>;
  filters: pulumi.Input<PolicyFilters>;
  deletion: pulumi.Input<boolean>;
  override: pulumi.Input<boolean>;
  enabled: pulumi.Input<boolean>;
  /** Kbit/s per task; 0 = unlimited. */
  speedKbps: pulumi.Input<number>;
  /** Start one execution on create so images older than the rule are copied. */
  backfill: pulumi.Input<boolean>;
  /** Change it to start another backfill execution. */
  backfillToken?: pulumi.Input<string>;
  /** How long create waits for the backfill to settle before reporting its state (default 30). */
  backfillWaitSeconds?: pulumi.Input<number>;
}

/** A Harbor push replication policy toward one backup, for one project. */
export class ReplicationPolicy extends DynamicResource {
  declare readonly policyId: pulumi.Output<number>;
  declare readonly backfillExecutionId: pulumi.Output<number>;
  /** Harbor execution status: InProgress | Succeed | Failed | Stopped (or NotRequested / Skipped). */
  declare readonly backfillStatus: pulumi.Output<string>;
  declare readonly backfillStatusText: pulumi.Output<string>;

  constructor(name: string, args: ReplicationPolicyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      policyProvider,
      name,
      {
        ...connectionInputs(args),
        name: args.name,
        description: args.description ?? "",
        destinationRegistryId: args.destinationRegistryId,
        destinationRegistryName: args.destinationRegistryName,
        projectName: args.projectName,
        destinationNamespace: args.destinationNamespace,
        destinationNamespaceReplaceCount: args.destinationNamespaceReplaceCount,
        trigger: args.trigger,
        cron: args.cron,
        filters: args.filters,
        deletion: args.deletion,
        override: args.override,
        enabled: args.enabled,
        speedKbps: args.speedKbps,
        backfill: args.backfill,
        backfillToken: args.backfillToken ?? "",
        backfillWaitSeconds: args.backfillWaitSeconds ?? 30,
        policyId: undefined,
        backfillExecutionId: undefined,
        backfillStatus: undefined,
        backfillStatusText: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["harborPassword"] }),
      "harbor",
      "ReplicationPolicy",
    );
  }
}
