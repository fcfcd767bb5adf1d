/**
 * `--plugin ./my-check.js`: checks from outside the repo. A plugin module's default export is one
 * check or an array of them, made with `defineCheck` (exported by the package root); plain objects
 * are validated the same way, so a bad plugin fails at load time with its file named.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineCheck, type Check, type CheckDefinition } from '../check-kit/define.js';

export class PluginError extends Error {
  override readonly name = 'PluginError';
}

export async function loadPlugins(files: readonly string[], builtIn: readonly Check[], cwd = process.cwd()): Promise<Check[]> {
  const seen = new Map(builtIn.map((c) => [c.id, 'a built-in check']));
  const out: Check[] = [];
  for (const file of files) {
    const url = pathToFileURL(resolve(cwd, file)).href;
    let mod: { default?: unknown };
    try {
      mod = (await import(url)) as { default?: unknown };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(resolve(cwd, file)) ? 'file not found' : err.message.split('\n')[0];
      throw new PluginError(`--plugin ${file}: cannot load: ${why}`);
    }
    const exported = mod.default;
    if (exported === undefined) throw new PluginError(`--plugin ${file}: no default export (export default defineCheck({...}))`);
    for (const def of Array.isArray(exported) ? exported : [exported]) {
      let check: Check;
      try {
        check = defineCheck(def as CheckDefinition);
      } catch (e) {
        throw new PluginError(`--plugin ${file}: ${(e as Error).message}`);
      }
      const clash = seen.get(check.id);
      if (clash !== undefined) throw new PluginError(`--plugin ${file}: check id "${check.id}" is already taken by ${clash}`);
      seen.set(check.id, file);
      out.push(check);
    }
  }
  return out;
}
