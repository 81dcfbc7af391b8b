import type { RegionList } from "./closest";

/**
 * Artifact Registry locations: Google Cloud regions, plus the multi-regions `us`, `europe` and
 * `asia` (their Docker host is `<location>-docker.pkg.dev`).
 *
 * Source: Google Cloud, "Artifact Registry repository locations"
 * (cloud.google.com/artifact-registry/docs/repositories/repo-locations) and "Regions and zones"
 * (cloud.google.com/compute/docs/regions-zones), compiled 2026-11-30 from those pages as known
 * then; not checked here against `gcloud artifacts locations list` (no cloud access).
 * A location newer than this list: set `allowUnlistedRegion: true` on the backup.
 */
export const GAR_MULTI_REGIONS = ["us", "europe", "asia"] as const;

export const GCP_REGIONS = [
  "africa-south1",
  "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3",
  "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2", "asia-southeast3",
  "australia-southeast1", "australia-southeast2",
  "europe-central2", "europe-north1", "europe-north2", "europe-southwest1", "europe-west1",
  "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8", "europe-west9",
  "europe-west10", "europe-west12",
  "me-central1", "me-central2", "me-west1",
  "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1",
  "southamerica-east1", "southamerica-west1",
  "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2",
  "us-west3", "us-west4",
] as const;

export const GAR_LOCATION_LIST: RegionList = {
  label: "Artifact Registry location",
  names: [...GAR_MULTI_REGIONS, ...GCP_REGIONS],
  source: "infra/config/cloud-regions/gcp.ts (Artifact Registry locations, 2026-11-30)",
};

/**
 * Cloud Storage bucket locations: the same regions, plus the multi-regions `US`, `EU` and `ASIA`
 * (Google Cloud, "Bucket locations", cloud.google.com/storage/docs/locations; compiled as above).
 * Dual-regions (`EUR4`, `NAM4`, ...) and custom dual-regions: `allowUnlistedRegion: true`.
 */
export const GCS_LOCATION_LIST: RegionList = {
  label: "Cloud Storage location",
  names: ["US", "EU", "ASIA", ...GCP_REGIONS],
  source: "infra/config/cloud-regions/gcp.ts (Cloud Storage bucket locations, 2026-11-30)",
};
