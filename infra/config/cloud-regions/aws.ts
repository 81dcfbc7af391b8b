import type { RegionList } from "./closest";

/**
 * AWS regions, per partition, where Amazon ECR has an API (`api.ecr.<region>`) and registry
 * (`<account>.dkr.ecr.<region>`) endpoint.
 *
 * Source: the AWS SDK for JavaScript v3's own partition table (`@aws-sdk/core` 3.981.2,
 * dist-es/submodules/client/util-endpoints/lib/aws/partitions.js, installed with
 * `@aws-sdk/client-ecr` 3.1178.0, read 2026-12-07), partitions `aws`, `aws-cn` and `aws-us-gov`;
 * cross-checked by name against AWS General Reference "Amazon ECR endpoints and quotas"
 * (docs.aws.amazon.com/general/latest/gr/ecr.html), which lists ECR endpoints for those regions
 * (the page was read only in part here: a region the SDK knows but ECR does not would fail at apply).
 * Isolated partitions (aws-iso*, aws-eusc) are left out: Harbor v2.15.1's aws-ecr adapter URL
 * pattern (src/pkg/reg/adapter/awsecr/adapter.go ecrPattern) only knows amazonaws.com(.cn),
 * sc2s.sgov.gov and c2s.ic.gov.
 * A region newer than this list: set `allowUnlistedRegion: true` on the backup.
 */
export const AWS_ECR_REGIONS = [
  "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
  "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
  "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "me-west-1", "mx-central-1", "sa-east-1", "sa-west-1",
  "us-east-1", "us-east-2", "us-west-1", "us-west-2",
  "cn-north-1", "cn-northwest-1",
  "us-gov-east-1", "us-gov-west-1",
] as const;

export const AWS_REGION_LIST: RegionList = {
  label: "Amazon ECR region",
  names: AWS_ECR_REGIONS,
  source: "infra/config/cloud-regions/aws.ts (AWS SDK v3 partition table, 2026-12-07)",
};

export { awsPartition, type AwsPartition } from "../../../components/backups/awsPartition";
