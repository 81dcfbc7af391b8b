/** Pulumi's stack-name rule (pkg/tokens, ValidateStackName): letters, digits, '-', '_', '.', at most 100. */
export const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export const isStackName = (s: string): boolean => STACK_NAME.test(s);
