/** The version np-doctor reports and writes into snapshots; keep in step with package.json. */
export const VERSION = '0.1.0';
