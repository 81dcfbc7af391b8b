import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** Reusable field validators. Each carries a message that says what is expected. */

export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, "expected a lowercase DNS label (a-z, 0-9, '-', at most 40 characters)");

export const hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
    "expected a lowercase DNS name without scheme or port, e.g. harbor.example.com",
  );

const ipv4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** A host nodes can dial: DNS name or IPv4 address, no scheme, no port. */
export const hostOrIp = z
  .string()
  .refine((v) => ipv4.test(v) || hostname.safeParse(v).success, "expected a DNS name or IPv4 address without scheme or port");

export const k8sName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "expected a Kubernetes name (lowercase a-z, 0-9, '-', at most 63 characters)");

export const quantity = z
  .string()
  .regex(/^[1-9]\d*(Mi|Gi|Ti)$/, "expected a storage size such as 10Gi, 500Mi or 1Ti");

export const httpsUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, "expected an http(s) URL such as https://registry.example.com")
  .refine((v) => !v.endsWith("/"), "remove the trailing '/': Harbor stores URLs without it and would report drift");

export const nodeSelector = z
  .record(z.string().min(1), z.string())
  .refine((v) => Object.keys(v).length > 0, "expected at least one label, e.g. { node-role.kubernetes.io/registry-mirror: \"true\" }");

export const nodePortNumber = z.number().int().min(30000).max(32767);

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
