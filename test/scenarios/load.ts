/** Finds the scenarios of the corpus: every test/scenarios/<name>/scenario.ts. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Scenario } from './scenario.js';

export const SCENARIO_DIR = 'test/scenarios';

export interface LoadedScenario {
  name: string;
  dir: string;
  scenario: Scenario;
  snapshotFile: string;
}

export async function loadScenarios(only: string[] = []): Promise<LoadedScenario[]> {
  const names = readdirSync(SCENARIO_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(SCENARIO_DIR, d.name, 'scenario.ts')))
    .map((d) => d.name)
    .filter((n) => only.length === 0 || only.includes(n))
    .sort();
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new Error(`no scenario ${unknown.join(', ')} in ${SCENARIO_DIR}`);
  return Promise.all(names.map(async (name) => {
    const dir = join(SCENARIO_DIR, name);
    const mod = (await import(pathToFileURL(join(process.cwd(), dir, 'scenario.ts')).href)) as { default: Scenario };
    return { name, dir, scenario: mod.default, snapshotFile: join(dir, 'snapshot.json') };
  }));
}
