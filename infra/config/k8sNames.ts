// Kubernetes name rules, as the API server applies them. Source: k8s.io/apimachinery
// pkg/util/validation/validation.go: IsQualifiedName (label and annotation keys),
// IsValidLabelValue, IsDNS1123Subdomain. (The Go file was not read here; the formats and limits
// below match its published constants as repeated by ports of it: qnameCharFmt, qnameExtCharFmt,
// qualifiedNameMaxLength 63, DNS1123SubdomainMaxLength 253, LabelValueMaxLength 63.) Checked here so a bad key fails before `pulumi up`,
// not when the API server rejects the object halfway through an apply.

/** qualifiedNameFmt = "(" + qnameCharFmt + qnameExtCharFmt + "*)?" + qnameCharFmt; max 63. */
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_MAX = 63;
/** dns1123SubdomainFmt; DNS1123SubdomainMaxLength 253. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_MAX = 253;
/** labelValueFmt = "(" + qualifiedNameFmt + ")?"; LabelValueMaxLength 63. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a valid label/annotation key (`[prefix/]name`), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return `"${key}" has more than one '/': expected [prefix/]name`;
  const name = parts.length === 2 ? parts[1]! : key;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === "") return `"${key}" has an empty prefix before '/'`;
    if (prefix.length > DNS1123_SUBDOMAIN_MAX) return `the prefix of "${key}" is longer than ${DNS1123_SUBDOMAIN_MAX} characters`;
    if (!DNS1123_SUBDOMAIN.test(prefix)) return `the prefix "${prefix}" is not a lowercase DNS subdomain (a-z, 0-9, '-', '.')`;
  }
  if (name === "") return `"${key}" has an empty name part`;
  if (name.length > QUALIFIED_NAME_MAX) return `the name part of "${key}" is longer than ${QUALIFIED_NAME_MAX} characters`;
  if (!QUALIFIED_NAME.test(name)) {
    return `the name part "${name}" must start and end with a letter or digit and contain only letters, digits, '-', '_' and '.'`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > QUALIFIED_NAME_MAX) return `label values are at most ${QUALIFIED_NAME_MAX} characters`;
  if (!LABEL_VALUE.test(value)) return "a label value must be empty or start and end with a letter or digit, with only letters, digits, '-', '_' and '.'";
  return undefined;
}

/** Namespaces every cluster already has: creating one of them fails at apply. */
export const BUILTIN_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;
