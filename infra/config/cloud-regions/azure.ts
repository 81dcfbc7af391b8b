import type { RegionList } from "./closest";

/**
 * Azure public-cloud physical regions (`name` as `az account list-locations` and
 * `GET /subscriptions/{id}/locations?api-version=2022-12-01` return it, `metadata.regionType`
 * "Physical"). Logical groupings ("europe", "unitedstates", "global") are not locations a
 * registry or replica can live in and are left out.
 *
 * Source: Microsoft Learn, "Azure regions list" (learn.microsoft.com/azure/reliability/regions-list),
 * compiled 2026-11-30 and cross-checked against public copies of the locations API answer
 * (tal66/cloud-regions web/data/azureData.js, vmisson/azure-region-span dashboard/www/regions.js).
 * Not checked here against a live subscription: some regions need access requests
 * (e.g. jioindia*, *2 paired regions), and regions opened after that date are missing.
 * A region newer than this list: set `allowUnlistedRegion: true` on the backup.
 */
export const AZURE_REGIONS = [
  // Americas
  "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus",
  "westus", "westus2", "westus3", "canadacentral", "canadaeast", "brazilsouth", "brazilsoutheast",
  "mexicocentral", "chilecentral",
  // Europe
  "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "francesouth",
  "germanywestcentral", "germanynorth", "switzerlandnorth", "switzerlandwest", "norwayeast",
  "norwaywest", "swedencentral", "swedensouth", "polandcentral", "italynorth", "spaincentral",
  "austriaeast", "belgiumcentral", "denmarkeast",
  // Middle East and Africa
  "uaenorth", "uaecentral", "qatarcentral", "israelcentral", "southafricanorth", "southafricawest",
  // Asia Pacific
  "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth",
  "centralindia", "southindia", "westindia", "jioindiacentral", "jioindiawest",
  "australiaeast", "australiasoutheast", "australiacentral", "australiacentral2",
  "newzealandnorth", "indonesiacentral", "malaysiawest",
] as const;

export const AZURE_REGION_LIST: RegionList = {
  label: "Azure region",
  names: AZURE_REGIONS,
  source: "infra/config/cloud-regions/azure.ts (Azure regions list, 2026-11-30)",
};
