/**
 * The test tiers: `npm test` runs everything; `npm run test:fast` (NP_DOCTOR_TIER=fast, the files
 * scripts/test-fast.ts lists) is the unit tier, which builds no lab (network namespaces,
 * sshd, real rules) even as root, and does not build the CLI.
 */

export const fastTier = (): boolean => process.env.NP_DOCTOR_TIER === 'fast';

/** The skip option of a test of the built CLI (dist/src/cli.js): the unit tier does not build it. */
export const builtCliSkip = (): string | false => (fastTier() ? 'the unit tier (npm run test:fast) does not build the CLI; npm test does' : false);
