import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { labelValueProblem, qualifiedNameProblem } from "./k8sNames";
import { dnsNameProblem, hostOrIpProblem, urlProblem } from "./net";

/** Reusable field validators. Each carries a message that says what is expected. */

export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, "expected a lowercase DNS label (a-z, 0-9, '-', at most 40 characters)");

/** Turn a `(value) => problem | undefined` check into a zod refinement with that message. */
export function checked<T>(problem: (v: T) => string | undefined) {
  return (v: T, ctx: z.core.$RefinementCtx<T>) => {
    const p = problem(v);
    if (p) ctx.addIssue({ code: "custom", message: p, input: v });
  };
}

export const hostname = z.string().superRefine(checked(dnsNameProblem));

/** A host nodes can dial: DNS name or IPv4 address, no scheme, no port. */
export const hostOrIp = z.string().superRefine(checked(hostOrIpProblem));

export const k8sName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "expected a Kubernetes name (lowercase a-z, 0-9, '-', at most 63 characters)");

/** A DNS-1123 subdomain, as Kubernetes requires for storage and ingress class names (at most 253). */
export const k8sSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "expected a Kubernetes object name (lowercase a-z, 0-9, '-', '.')");

export const quantity = z
  .string()
  .regex(/^[1-9]\d*(Mi|Gi|Ti)$/, "expected a storage size such as 10Gi, 500Mi or 1Ti");

/** A registry URL whose path is where images land; a password in it is refused (see `{parent}` in format.ts). */
export const httpsUrl = z.string().superRefine(
  checked((v: string) => urlProblem(v, { path: true, secretHint: "store it as a secret: npx pulumi config set --secret --path '{parent}.push.password' <value>" })),
);

/** Label keys and values as the API server checks them (k8sNames.ts). */
export const labels = z.record(z.string(), z.string()).superRefine((v, ctx) => {
  for (const [key, value] of Object.entries(v)) {
    const p = qualifiedNameProblem(key);
    if (p) ctx.addIssue({ code: "custom", path: [key], message: `invalid label key: ${p}` });
    const q = labelValueProblem(value);
    if (q) ctx.addIssue({ code: "custom", path: [key], message: `invalid label value: ${q}` });
  }
});

/** Annotation keys follow the label-key rule; values are free text. */
export const annotations = z.record(z.string(), z.string()).superRefine((v, ctx) => {
  for (const key of Object.keys(v)) {
    const p = qualifiedNameProblem(key);
    if (p) ctx.addIssue({ code: "custom", path: [key], message: `invalid annotation key: ${p}` });
  }
});

export const nodeSelector = labels.refine((v) => Object.keys(v).length > 0, "expected at least one label, e.g. { node-role.kubernetes.io/registry-mirror: \"true\" }");

/** Kubernetes' default Service node-port range (kube-apiserver --service-node-port-range). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

export const nodePortNumber = z.number().int().min(NODE_PORT_RANGE.min).max(NODE_PORT_RANGE.max);

/** A credential value from config: becomes a Pulumi secret the moment it is parsed. */
export const secretString = z
  .string()
  .min(1)
  .transform((v) => pulumi.secret(v));

/** A credential: user name plus a password/token that must come from a Pulumi secret. */
export const credential = z.strictObject({
  username: z.string().min(1),
  password: secretString,
});

/** Names of fields whose values are credentials: never echoed in errors, always wrapped as secrets. */
export const CREDENTIAL_FIELDS = new Set(["password", "token", "secret", "accessSecret", "apiKey"]);
