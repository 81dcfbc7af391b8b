// Entry point for `pulumi preview --policy-pack policy`. Constructing a PolicyPack starts the
// analyzer's gRPC server, so tests and the offline check import ./policies, never this file.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("registry-topology", { policies });
