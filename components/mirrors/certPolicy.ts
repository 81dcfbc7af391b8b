// Certificate lifetimes of the region mirror PKI (pki.ts) and the expiry alarm threshold, in a
// file of their own so `npm run verify` can read them without loading the Pulumi SDK.

export const CERT_VALIDITY_HOURS = { ca: 24 * 365 * 10, leaf: 24 * 90 } as const;
export const CERT_EARLY_RENEWAL_HOURS = { ca: 24 * 365, leaf: 24 * 30 } as const;

/**
 * Below this many days left, node writers warn in their STATUS line and `npm run verify` fails.
 * Leaves renew in their last 30 days on any `up`; the weekly refresh workflow runs one, so a
 * certificate under 21 days means at least one week of refreshes did not happen.
 */
export const CERT_MIN_DAYS = 21;
