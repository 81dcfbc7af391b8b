/**
 * IBM Cloud Container Registry regional registries and their hosts.
 *
 * Source: IBM/container-registry-go-sdk v1.4.0 (the SDK IBM's Terraform provider uses),
 * containerregistryv1/container_registry_v1.go, GetServiceURLForRegion, read 2026-11-30. The
 * SDK also maps the legacy aliases uk-south, eu-central, ap-north and ap-south to the same hosts;
 * this list keeps the platform region names, which are also what IAM policies use for `region`
 * (unverified for every region: see docs/backups-icr.md).
 *
 * `global` (icr.io) is left out on purpose: IBM's docs ("About Container Registry", Global
 * registry; ibm-cloud-docs/Registry registry_overview.md) say only IBM-provided public images
 * live there and namespaces must be set up in a regional registry.
 */
export const ICR_HOSTS = {
  "us-south": "us.icr.io",
  "eu-gb": "uk.icr.io",
  "eu-de": "de.icr.io",
  "eu-es": "es.icr.io",
  "eu-fr2": "fr2.icr.io",
  "jp-tok": "jp.icr.io",
  "jp-osa": "jp2.icr.io",
  "au-syd": "au.icr.io",
  "ca-tor": "ca.icr.io",
  "ca-mon": "ca2.icr.io",
  "br-sao": "br.icr.io",
  "in-che": "in.icr.io",
  "in-mum": "in2.icr.io",
} as const;

export type IcrRegion = keyof typeof ICR_HOSTS;
