import type { RegionList } from "./closest";

/**
 * Alibaba Cloud regions where Container Registry is offered (Personal and/or Enterprise Edition).
 *
 * Source: Alibaba Cloud, "Container Registry: Supported regions"
 * (www.alibabacloud.com/help/doc-detail/215426.htm), read 2026-11-30. That page marks per region
 * which edition is available; this list does not distinguish them (a Personal Edition namespace
 * in an Enterprise-only region fails at apply). me-central-1 (Riyadh) is a partner region.
 * A region newer than this list: set `allowUnlistedRegion: true` on the backup.
 */
export const ALIBABA_CR_REGIONS = [
  "cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-hangzhou",
  "cn-shanghai", "cn-shenzhen", "cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-5", "ap-southeast-6",
  "ap-southeast-7", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
  "us-west-1", "us-east-1", "eu-central-1", "eu-west-1", "me-east-1", "me-central-1",
] as const;

export const ALIBABA_REGION_LIST: RegionList = {
  label: "Alibaba Cloud Container Registry region",
  names: ALIBABA_CR_REGIONS,
  source: "infra/config/cloud-regions/alibaba.ts (Container Registry supported regions, 2026-11-30)",
};

/**
 * OSS bucket regions. OSS runs in every public Alibaba Cloud region, so the Container Registry
 * regions above are a subset of them (not checked here against OSS's own list): a region missing
 * here takes `allowUnlistedRegion: true`.
 */
export const ALIBABA_OSS_REGION_LIST: RegionList = {
  label: "Alibaba Cloud OSS region",
  names: ALIBABA_CR_REGIONS,
  source: "infra/config/cloud-regions/alibaba.ts (Alibaba Cloud regions, 2026-11-30)",
};
