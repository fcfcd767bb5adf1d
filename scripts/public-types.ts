/**
 * The third step of `npm run build`: tsc has written a declaration for every module of src/ and
 * checks/ into dist/types/; the package ships only those the package root's declaration
 * (dist/types/src/api.d.ts, what `import ... from 'np-doctor'` type-checks against) reaches.
 * This keeps those and deletes the rest (and any a removed source left behind). A reached
 * declaration that imports a package np-doctor does not depend on would fail to type-check in a
 * plugin's project, so the build stops there.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = 'dist/types';
const ENTRY = join(ROOT, 'src/api.d.ts');

/** `from '…'`, `import('…')` and `/// <reference types="…" />`: every way a declaration names another file or package. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|<reference\s+types\s*=\s*)(['"])([^'"\n]+)\1/g;

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies?: Record<string, string> };
const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));

/** A bare specifier's package: `zod`, `zod/v4` → zod; `@scope/name/x` → @scope/name. */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

const reached = new Set<string>();
const problems: string[] = [];
const queue = [resolve(ENTRY)];
for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
  if (reached.has(file)) continue;
  reached.add(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    problems.push(`${relative('.', file)} is imported but was not emitted`);
    continue;
  }
  for (const [, , specifier] of text.matchAll(SPECIFIER)) {
    if (specifier === undefined) continue;
    if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier.replace(/\.js$/, '.d.ts')));
    // `node` (Node's own types, e.g. Buffer) is what any TypeScript project for Node has (@types/node).
    else if (!specifier.startsWith('node:') && specifier !== 'node' && !dependencies.has(packageOf(specifier))) {
      problems.push(`${relative('.', file)} imports ${specifier}, which is not in package.json's dependencies: a plugin's project would not have it`);
    }
  }
}
if (problems.length > 0) {
  console.error(`public-types: the package root's declarations are not self-contained:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}

let removed = 0;
for (const entry of readdirSync(ROOT, { recursive: true, withFileTypes: true })) {
  const file = resolve(entry.parentPath, entry.name);
  if (entry.isFile() && !reached.has(file)) {
    rmSync(file);
    removed++;
  }
}
// Directories left empty by the deletions go too (deepest first, so a parent empties after its children).
const dirs = readdirSync(ROOT, { recursive: true, withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => resolve(e.parentPath, e.name));
for (const dir of dirs.sort((a, b) => b.length - a.length)) if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
console.log(`public-types: ${reached.size} declarations kept (reached from ${ENTRY}), ${removed} removed`);
