/**
 * Runs the given test files in this one process: node:test collects every file's tests as it is
 * imported and runs them when the imports are done. One process pays for starting Node and tsx
 * and for loading the shared modules (the kit, the corpus, client-node) once, instead of once per
 * file, which is most of the unit tier's time (scripts/test-fast.ts).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

for (const file of process.argv.slice(2)) await import(pathToFileURL(resolve(file)).href);
