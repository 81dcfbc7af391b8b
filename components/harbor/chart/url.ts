import type { HarborArgs } from "../args";

/** The URL clients use for Harbor, derived from hostname and exposure unless set explicitly. */
export function harborExternalUrl(h: HarborArgs): string {
  if (h.externalUrl) return h.externalUrl;
  const e = h.expose;
  switch (e.type) {
    case "ingress":
      return `https://${h.hostname}`;
    case "nodePort":
      return e.tlsSecretName ? `https://${h.hostname}:${e.httpsNodePort}` : `http://${h.hostname}:${e.httpNodePort}`;
    case "loadBalancer":
    case "clusterIP":
      return `${e.tlsSecretName ? "https" : "http"}://${h.hostname}`;
  }
}

/** Login host (host[:port], no scheme) for `docker login` and runtime config. */
export function harborHost(h: HarborArgs): string {
  return harborExternalUrl(h).replace(/^https?:\/\//, "");
}
