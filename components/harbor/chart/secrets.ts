import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { generatedHtpasswdUser } from "../../shared/generated-user";
import { INTERNAL_SECRET_KEYS, REGISTRY_USER } from "./values";

/** Generated once and kept in state: stable across `pulumi up`, so nothing restarts. */
export interface HarborGeneratedSecrets {
  adminPassword: pulumi.Output<string>;
  internalDatabasePassword: pulumi.Output<string>;
  /** Secret data keyed by INTERNAL_SECRET_KEYS. */
  data: pulumi.Output<Record<string, string>>;
}

/**
 * A generated alphanumeric secret of an exact length. RandomPassword, not RandomString: the
 * random provider stores a RandomString's value as its resource ID too (terraform-provider-random
 * `createStringFunc`: `d.SetId(result)` unless sensitive), and IDs are never encrypted in state,
 * so no additionalSecretOutputs can hide it. RandomPassword's ID is "none" and its result secret.
 */
function alnum(name: string, length: number, parent: pulumi.Resource) {
  return new random.RandomPassword(name, { length, special: false }, { parent });
}

export function generateHarborSecrets(name: string, parent: pulumi.Resource): HarborGeneratedSecrets {
  // Harbor's password policy: 8-128 chars with upper, lower and digit.
  const admin = new random.RandomPassword(
    `${name}-admin-password`,
    { length: 24, special: false, minUpper: 2, minLower: 2, minNumeric: 2 },
    { parent },
  );
  const secretKey = alnum(`${name}-secret-key`, 16, parent); // must be exactly 16: encrypts stored endpoint credentials
  const coreSecret = alnum(`${name}-core-secret`, 16, parent);
  const jobserviceSecret = alnum(`${name}-jobservice-secret`, 16, parent);
  const registryHttpSecret = alnum(`${name}-registry-http-secret`, 16, parent);
  const xsrfKey = alnum(`${name}-xsrf-key`, 32, parent); // must be exactly 32
  const registry = generatedHtpasswdUser(`${name}-registry`, REGISTRY_USER, parent, 24);
  const databasePassword = new random.RandomPassword(`${name}-database-password`, { length: 24, special: false }, { parent });
  // Stable token-signing key and cert: otherwise the chart's genCA makes a new one on every render.
  const tokenKey = new tls.PrivateKey(`${name}-token-key`, { algorithm: "RSA", rsaBits: 4096 }, { parent });
  const tokenCert = new tls.SelfSignedCert(
    `${name}-token-cert`,
    {
      privateKeyPem: tokenKey.privateKeyPem,
      subject: { commonName: "harbor-token-ca" },
      validityPeriodHours: 24 * 365 * 10,
      isCaCertificate: false,
      allowedUses: ["digital_signature", "key_encipherment"],
    },
    { parent },
  );

  const k = INTERNAL_SECRET_KEYS;
  const parts = {
      adminPw: admin.result,
      sk: secretKey.result,
      core: coreSecret.result,
      xsrf: xsrfKey.result,
      job: jobserviceSecret.result,
      regHttp: registryHttpSecret.result,
      regPw: registry.password,
      htpasswd: registry.line,
      keyPem: tokenKey.privateKeyPem,
      certPem: tokenCert.certPem,
  };
  const data = pulumi
    .all(parts)
    .apply((all): Record<string, string> => {
      const v = all as { [K in keyof typeof parts]: string };
      return {
      [k.adminPassword]: v.adminPw,
      [k.secretKey]: v.sk,
      [k.coreSecret]: v.core,
      [k.xsrfKey]: v.xsrf,
      [k.jobserviceSecret]: v.job,
      [k.registryHttpSecret]: v.regHttp,
      [k.registryPassword]: v.regPw,
      [k.registryHtpasswd]: v.htpasswd,
      [k.tokenKey]: v.keyPem,
      [k.tokenCert]: v.certPem,
      };
    });

  return {
    adminPassword: pulumi.secret(admin.result),
    internalDatabasePassword: pulumi.secret(databasePassword.result),
    data: pulumi.secret(data),
  };
}
