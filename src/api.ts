/** What a plugin (`--plugin ./my-check.js`) imports from `np-doctor`: the check kit built-in checks use. */
export * from './check-kit/index.js';
export type { Report } from './report/model.js';
