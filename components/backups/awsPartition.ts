// AWS partitions decide ARN prefixes and host suffixes; the ECR backup builds both.
/** The AWS partition a region belongs to: it decides ARN prefixes and host suffixes. */
export type AwsPartition = "aws" | "aws-cn" | "aws-us-gov";

export function awsPartition(region: string): AwsPartition {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
