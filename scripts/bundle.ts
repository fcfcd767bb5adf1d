/**
 * The second half of `npm run build`: after tsc has type-checked and emitted dist/, esbuild bundles
 * the two public entry points over tsc's dist/src/cli.js (the bin) and dist/src/api.js (what a
 * `--plugin` imports). A cold `np-doctor trace` spent ≈50 ms loading ~55 separate ES modules; a
 * few bundled files load faster (issue 17, `npm run bench`). Splitting puts the code both entries
 * use into shared chunks, so a plugin and the CLI run one copy of the check kit, and keeps every
 * `await import()` (commands, TUI, nft, SSH) lazy. Packages in node_modules stay imports.
 * tsc's per-module files stay in dist/ for the benchmarks' in-process measurements (bench/).
 * No source maps: they would point at .ts files the package does not ship.
 */
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry a content hash: clear the last build's so dist/ holds only the current ones.
rmSync('dist/src/chunks', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts', 'src/kubectl-complete.ts', 'src/api.ts'],
  outdir: 'dist/src',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
