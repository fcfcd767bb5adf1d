/**
 * `--plugin ./my-check.js`: checks from outside the repo. A plugin module's default export is one
 * check or an array of them, made with `defineCheck` (exported by the package root); plain objects
 * are validated the same way, so a bad plugin fails at load time with its file named.
 */
import { existsSync } from 'node:fs';
import module from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineCheck, type Check, type CheckDefinition } from '../check-kit/define.js';
import { cut } from '../text/cut.js';

export class PluginError extends Error {
  override readonly name = 'PluginError';
}

/** What a plugin imports the check kit as. */
const PACKAGE = 'np-doctor';

/**
 * Node resolves a bare `import … from 'np-doctor'` through the node_modules folders above the
 * importing file. A plugin kept outside any project that installed np-doctor (np-doctor installed
 * globally, the plugin in ~/checks/) has none, so the import fails. Every `np-doctor` import is
 * sent instead to the package root of the np-doctor that is running (found by the package's
 * reference to itself, bundled or not): the plugin gets the same copy of the check kit, of the
 * version that runs it. The hook is module source because module.register (Node < 22.15) runs it
 * in a loader thread; module.registerHooks (Node ≥ 22.15, and the one not deprecated) runs it in
 * this thread, from the same source.
 */
async function sendPackageImportsToSelf(): Promise<void> {
  const api = import.meta.resolve(PACKAGE);
  const source = `export function resolve(specifier, context, next) {
  return specifier === ${JSON.stringify(PACKAGE)} ? { url: ${JSON.stringify(api)}, shortCircuit: true } : next(specifier, context);
}`;
  const url = `data:text/javascript,${encodeURIComponent(source)}`;
  const { registerHooks } = module as { registerHooks?: (hooks: { resolve: unknown }) => unknown };
  if (registerHooks === undefined) module.register(url);
  else registerHooks({ resolve: ((await import(url)) as { resolve: unknown }).resolve });
}

let hooked: Promise<void> | undefined;

export async function loadPlugins(files: readonly string[], builtIn: readonly Check[], cwd = process.cwd()): Promise<Check[]> {
  if (files.length > 0) await (hooked ??= sendPackageImportsToSelf());
  const seen = new Map(builtIn.map((c) => [c.id, 'a built-in check']));
  const out: Check[] = [];
  for (const file of files) {
    const path = resolve(cwd, file);
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    } catch (e) {
      throw new PluginError(`--plugin ${file}: cannot load: ${whyNotLoaded(e, path)}`);
    }
    const exported = mod.default;
    if (exported === undefined) throw new PluginError(`--plugin ${file}: no default export (export default defineCheck({...}))`);
    for (const def of Array.isArray(exported) ? exported : [exported]) {
      let check: Check;
      try {
        check = defineCheck(def as CheckDefinition);
      } catch (e) {
        throw new PluginError(`--plugin ${file}: ${cut((e as Error).message, SHOWN_ERROR)}`);
      }
      const clash = seen.get(check.id);
      if (clash !== undefined) throw new PluginError(`--plugin ${file}: check id "${check.id}" is already taken by ${clash}`);
      seen.set(check.id, file);
      out.push(check);
    }
  }
  return out;
}

/** A plugin's own error text is shown up to this many characters: it may be anything. */
const SHOWN_ERROR = 300;

/** Node's ERR_MODULE_NOT_FOUND names the missing package or file and the module that imported it. */
const NOT_FOUND = /^Cannot find (package|module) '([^']+)' imported from (.+)$/;

/** Why the import failed: the plugin file itself missing, or something it imports, named. */
function whyNotLoaded(err: unknown, path: string): string {
  if (!existsSync(path)) return `file not found (${path})`;
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  const m = (err as NodeJS.ErrnoException | null)?.code === 'ERR_MODULE_NOT_FOUND' ? NOT_FOUND.exec(first) : null;
  if (m === null) return cut(first, SHOWN_ERROR);
  const [, kind, what, importer] = m;
  return kind === 'package'
    ? `${importer} imports the package '${what}', which is not installed in any node_modules folder above it`
    : `${importer} imports ${what}, which does not exist`;
}
