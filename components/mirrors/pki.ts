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
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

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

export const CERT_VALIDITY_HOURS = { ca: 24 * 365 * 10, leaf: 24 * 90 } as const;
export const CERT_EARLY_RENEWAL_HOURS = { ca: 24 * 365, leaf: 24 * 30 } as const;

const isIp = (a: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(a) || a.includes(":");

/** Subject alternative names of the mirrors' server certificate: what nodes dial. */
export function serverSans(mirrorAddresses: readonly string[]): { ipAddresses: string[]; dnsNames: string[] } {
  return {
    ipAddresses: mirrorAddresses.filter(isIp),
    dnsNames: mirrorAddresses.filter((a) => !isIp(a)),
  };
}

/** The region's CA, server and client certificates (children of `parent`). */
export function createMirrorPki(name: string, region: { name: string; mirrorAddresses: readonly string[] }, parent: pulumi.Resource): pulumi.Output<MirrorTls> {
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
    return { certPem: cert.certPem, keyPem: k.privateKeyPem };
  };
  const server = leaf("server", "server_auth", serverSans(region.mirrorAddresses));
  const client = leaf("client", "client_auth", { ipAddresses: [], dnsNames: [] });
  return pulumi.secret(
    pulumi.all([ca.certPem, server.certPem, server.keyPem, client.certPem, client.keyPem]).apply(([caCertPem, serverCertPem, serverKeyPem, clientCertPem, clientKeyPem]) => ({
      caCertPem,
      serverCertPem,
      serverKeyPem,
      clientCertPem,
      clientKeyPem,
    })),
  );
}

/** The public half, unsecreted (certificates are public; the keys are dropped). */
export function publicTls(all: pulumi.Output<MirrorTls>): pulumi.Output<MirrorTlsPublic> {
  return pulumi.unsecret(all.apply(({ caCertPem, serverCertPem, clientCertPem }) => ({ caCertPem, serverCertPem, clientCertPem })));
}
