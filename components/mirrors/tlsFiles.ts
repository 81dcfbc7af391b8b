// Where each party finds its half of the mirror mTLS (pki.ts): node runtimes get the CA and the
// region's client certificate in the place their runtime reads, mirror nodes get the CA (to
// verify clients) and the server certificate. Private keys are secret files (Kubernetes Secret).
import type { Runtime } from "./args";
import type { RegionPlan } from "./plan";
import type { MirrorTls } from "./pki";
import { CONTAINERD_CERTS_D, CONTAINERD_TLS_NAMES, CONTAINERS_CERTS_D, RANCHER_TLS_NAMES, rancherTlsDir } from "./runtimeConfig";
import { MIRROR_TLS_DIR, TLS_FILE_NAMES } from "./staticPods";

/** Which half of a node's mTLS material a file holds. */
export type TlsRole = "ca" | "cert" | "key";

export interface TlsFile {
  path: string;
  content: string;
  secret: boolean;
  /** Node files only: the node file writer's health probe presents the same material. */
  tls?: TlsRole;
}

/** Files for every node of the region, per configured runtime. */
export function nodeTlsFiles(plan: RegionPlan, tls: Partial<MirrorTls>, runtimes: readonly Runtime[] = plan.region.runtimes): TlsFile[] {
  const out: TlsFile[] = [];
  const trio = (dir: string, names: { ca: string; cert: string; key: string }) => {
    if (tls.caCertPem !== undefined) out.push({ path: `${dir}/${names.ca}`, content: tls.caCertPem, secret: false, tls: "ca" });
    if (tls.clientCertPem !== undefined) out.push({ path: `${dir}/${names.cert}`, content: tls.clientCertPem, secret: false, tls: "cert" });
    if (tls.clientKeyPem !== undefined) out.push({ path: `${dir}/${names.key}`, content: tls.clientKeyPem, secret: true, tls: "key" });
  };
  for (const r of new Set(runtimes)) {
    if (r === "crio") for (const a of new Set(plan.endpoints.map((e) => e.address))) trio(`${CONTAINERS_CERTS_D}/${a}`, { ca: "ca.crt", cert: "client.cert", key: "client.key" });
    if (r === "containerd") trio(`${CONTAINERD_CERTS_D}/${plan.harbor.host}`, CONTAINERD_TLS_NAMES);
    if (r === "k3s" || r === "rke2") trio(rancherTlsDir(r), RANCHER_TLS_NAMES);
  }
  return out;
}

/** Files for the mirror nodes: the CA that signs node client certificates, the server pair. */
export function mirrorTlsFiles(tls: Partial<MirrorTls>): TlsFile[] {
  const out: TlsFile[] = [];
  if (tls.caCertPem !== undefined) out.push({ path: `${MIRROR_TLS_DIR}/${TLS_FILE_NAMES.ca}`, content: tls.caCertPem, secret: false });
  if (tls.serverCertPem !== undefined) out.push({ path: `${MIRROR_TLS_DIR}/${TLS_FILE_NAMES.cert}`, content: tls.serverCertPem, secret: false });
  if (tls.serverKeyPem !== undefined) out.push({ path: `${MIRROR_TLS_DIR}/${TLS_FILE_NAMES.key}`, content: tls.serverKeyPem, secret: true });
  return out;
}
