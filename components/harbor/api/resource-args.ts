import * as pulumi from "@pulumi/pulumi";

/** How a Harbor dynamic resource reaches Harbor's API. */
export interface HarborConnectionArgs {
  harborUrl: pulumi.Input<string>;
  harborUsername: pulumi.Input<string>;
  /** Always stored as a secret. */
  harborPassword: pulumi.Input<string>;
  /** Skip TLS verification toward Harbor (RegistryEndpoint: `harborInsecure`). */
  insecure?: pulumi.Input<boolean>;
  /** PEM bundle of the CA that signed Harbor's certificate. */
  caCertificate?: pulumi.Input<string>;
  /** Per-request timeout in seconds (default 30). */
  httpTimeoutSeconds?: pulumi.Input<number>;
  /** Take over an object of the same name that exists in Harbor instead of failing (default false). */
  adoptExisting?: pulumi.Input<boolean>;
}

/** The connection inputs as registered: the password wrapped as a secret. */
export function connectionInputs(args: HarborConnectionArgs, insecureKey = "insecure"): Record<string, pulumi.Input<unknown>> {
  return {
    harborUrl: args.harborUrl,
    harborUsername: args.harborUsername,
    harborPassword: pulumi.secret(args.harborPassword),
    [insecureKey]: args.insecure ?? false,
    caCertificate: args.caCertificate,
    httpTimeoutSeconds: args.httpTimeoutSeconds,
    adoptExisting: args.adoptExisting ?? false,
  };
}
