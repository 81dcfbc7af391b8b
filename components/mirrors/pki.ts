// Mutual TLS between node runtimes and region mirrors: one CA per region, one server certificate
// for the region's mirrors (every address nodes dial), one client certificate the region's node
// runtimes present. Generated in the program with @pulumi/tls; private keys stay Pulumi secrets.
//
// Rotation (time based, no manual step): @pulumi/tls treats a certificate as gone once it is
// within `earlyRenewalHours` of its end (node_modules/@pulumi/tls/locallySignedCert.d.ts,
// "Automatic Renewal"), so any `up` in that window issues a new one. Leaf certificates live
// 90 days and are renewed in their last 30; the CA lives 10 years and is renewed in its last
// year with the SAME key, so certificates issued under the old and the new CA certificate verify
// against either: nodes and mirrors can pick up the new files in any order.
//
// Nothing renews without an `up`: .github/workflows/refresh-certificates.yml runs one per stack
// every week, every node's writer reports days to expiry in its STATUS line, and `npm run verify`
// fails when a certificate has fewer than CERT_MIN_DAYS left (docs/certificates.md).
//
// Revocation: distribution's TLS has none (no CRL/OCSP; http.tls.clientcas only), and every node
// of a region presents the same client certificate. A leaked client key is cut off by raising the
// region's `pkiGeneration`: every key here gets a new resource name, so the next `up` creates a new
// CA key and CA and new leaf keys, and the mirrors trust only the new CA from then on (the old
// client certificate is refused at the TLS handshake). Generation 1 keeps the original names, so
// existing stacks see no change.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CERT_EARLY_RENEWAL_HOURS, CERT_VALIDITY_HOURS } from "./certPolicy";

/** Certificates (public) for the renderers that write node files. */
export interface MirrorTlsPublic {
  caCertPem: string;
  serverCertPem: string;
  clientCertPem: string;
}

/** Everything, including the two private keys (keep it a Pulumi secret). */
export interface MirrorTls extends MirrorTlsPublic {
  serverKeyPem: string;
  clientKeyPem: string;
}

export { CERT_EARLY_RENEWAL_HOURS, CERT_MIN_DAYS, CERT_VALIDITY_HOURS } from "./certPolicy";

/** When each of a region's certificates ends (RFC 3339), for the stack outputs and `verify`. */
export interface CertificateExpiry {
  certificate: "ca" | "server" | "client";
  notAfter: string;
}

/** Resource name stem of a generation's PKI: generation 1 keeps the names stacks already have. */
export function pkiName(name: string, generation: number): string {
  if (!Number.isInteger(generation) || generation < 1) throw new Error(`pkiGeneration: expected an integer >= 1, got ${generation}`);
  return generation === 1 ? name : `${name}-g${generation}`;
}

const isIp = (a: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(a) || a.includes(":");

/** Subject alternative names of the mirrors' server certificate: what nodes dial. */
export function serverSans(mirrorAddresses: readonly string[]): { ipAddresses: string[]; dnsNames: string[] } {
  return {
    ipAddresses: mirrorAddresses.filter(isIp),
    dnsNames: mirrorAddresses.filter((a) => !isIp(a)),
  };
}

/** The region's CA, server and client certificates (children of `parent`), and when each ends. */
export function createMirrorPki(
  baseName: string,
  region: { name: string; mirrorAddresses: readonly string[]; pkiGeneration?: number },
  parent: pulumi.Resource,
): { tls: pulumi.Output<MirrorTls>; expiry: pulumi.Output<CertificateExpiry[]> } {
  const name = pkiName(baseName, region.pkiGeneration ?? 1);
  const opts = { parent };
  const key = (n: string) => new tls.PrivateKey(`${name}-${n}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { ...opts, additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"] });
  const caKey = key("ca");
  const ca = new tls.SelfSignedCert(
    `${name}-ca`,
    {
      privateKeyPem: caKey.privateKeyPem,
      subject: { commonName: `registry-topology mirrors ${region.name} CA`, organization: "registry-topology" },
      isCaCertificate: true,
      validityPeriodHours: CERT_VALIDITY_HOURS.ca,
      earlyRenewalHours: CERT_EARLY_RENEWAL_HOURS.ca,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    },
    opts,
  );
  const leaf = (n: "server" | "client", use: "server_auth" | "client_auth", sans: { ipAddresses: string[]; dnsNames: string[] }) => {
    const k = key(n);
    const csr = new tls.CertRequest(
      `${name}-${n}-csr`,
      { privateKeyPem: k.privateKeyPem, subject: { commonName: `registry-topology ${region.name} mirror ${n}`, organization: "registry-topology" }, ...sans },
      opts,
    );
    const cert = new tls.LocallySignedCert(
      `${name}-${n}-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: CERT_VALIDITY_HOURS.leaf,
        earlyRenewalHours: CERT_EARLY_RENEWAL_HOURS.leaf,
        allowedUses: ["digital_signature", "key_encipherment", use],
      },
      opts,
    );
    return { certPem: cert.certPem, keyPem: k.privateKeyPem, notAfter: cert.validityEndTime };
  };
  const server = leaf("server", "server_auth", serverSans(region.mirrorAddresses));
  const client = leaf("client", "client_auth", { ipAddresses: [], dnsNames: [] });
  const tlsOut = pulumi.secret(
    pulumi.all([ca.certPem, server.certPem, server.keyPem, client.certPem, client.keyPem]).apply(([caCertPem, serverCertPem, serverKeyPem, clientCertPem, clientKeyPem]) => ({
      caCertPem,
      serverCertPem,
      serverKeyPem,
      clientCertPem,
      clientKeyPem,
    })),
  );
  const expiry = pulumi.all([ca.validityEndTime, server.notAfter, client.notAfter]).apply(([c, s, k]): CertificateExpiry[] => [
    { certificate: "ca", notAfter: c },
    { certificate: "server", notAfter: s },
    { certificate: "client", notAfter: k },
  ]);
  return { tls: tlsOut, expiry };
}

/** The public half, unsecreted (certificates are public; the keys are dropped). */
export function publicTls(all: pulumi.Output<MirrorTls>): pulumi.Output<MirrorTlsPublic> {
  return pulumi.unsecret(all.apply(({ caCertPem, serverCertPem, clientCertPem }) => ({ caCertPem, serverCertPem, clientCertPem })));
}
