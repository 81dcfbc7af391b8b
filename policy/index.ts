// Entry point for `pulumi preview --policy-pack policy`. Constructing a PolicyPack starts the
// analyzer's gRPC server, so tests and the offline check import ./policies, never this file.
// Levels come from the stack NAME the engine runs the pack for (levels.ts), not from the stack's
// config: `pulumi.getStack()` reads PULUMI_NODEJS_STACK, which the engine sets for the pack.
import { PolicyPack } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { policiesForStack } from "./levels";
import { policies } from "./policies";

new PolicyPack("registry-topology", { policies: policiesForStack(policies, pulumi.getStack()) });
