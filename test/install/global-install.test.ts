/**
 * The package as a user gets it: `npm pack` of this repo, installed with `npm install -g` into a
 * temporary prefix (one install, shared by every case: pack and install take 10–30 s). Then what
 * the tarball holds, a plugin in a folder with no node_modules importing `np-doctor` from that
 * global install, and a TypeScript plugin type-checked against the installed declarations with the
 * repo's own tsc. The install reads the npm cache first (--prefer-offline) and runs no install
 * scripts, so it needs the registry only for a dependency the cache lacks.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { builtCliSkip } from '../support/tier.js';

const INSTALL_TIMEOUT_MS = 300_000;
const RUN_TIMEOUT_MS = 120_000;
const MAX_OUTPUT = 64 * 1024 * 1024;

/** What may ship: the bundle, the public declarations, the check pages, the demo, the schemas. */
const SHIPPABLE = [/^dist\/src\/(cli|api|kubectl-complete)\.js$/, /^dist\/src\/chunks\/[\w-]+\.js$/, /^dist\/types\/.+\.d\.ts$/, /^docs\/checks\/[a-z0-9-]+\.md$/, /^examples\/demo\.json$/, /^schema\/[\w.-]+\.json$/, /^(package\.json|README\.md|LICENSE)$/];

/** A check that finds something in every Service, so its finding shows in the demo's report. */
const TEAM_PLUGIN = `import { defineCheck } from 'np-doctor';
export default defineCheck({ id: 'team-policy', title: 'Team rule', description: 'our rule', severity: 'warning', stage: 'context',
  requires: ['service'], messages: { m: 'service {{name}} breaks our team rule' },
  run: (ctx) => [{ messageId: 'm', data: { name: ctx.service.name }, evidence: [], remediation: { summary: 'fix', commands: [] } }] });
`;

describe('np-doctor installed globally from npm pack', { skip: builtCliSkip() }, () => {
  let dir = '';
  let shipped: string[] = [];
  let pkgDir = '';
  let prefix = '';
  let bin = '';

  before(() => {
    assert.ok(existsSync('dist/src/cli.js') && existsSync('dist/types/src/api.d.ts'), 'the package ships dist/: run npm run build first');
    dir = mkdtempSync(join(tmpdir(), 'npd-install-'));
    // --ignore-scripts: `prepare` would build again; the files come from the build already made.
    const packed = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT });
    const [pack] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    assert.ok(pack !== undefined, 'npm pack --json described no tarball');
    shipped = pack.files.map((f) => f.path);
    prefix = join(dir, 'prefix');
    execFileSync('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(dir, pack.filename)], {
      encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    pkgDir = join(prefix, 'lib', 'node_modules', 'np-doctor');
    bin = join(prefix, 'bin', 'np-doctor');
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('the tarball holds the bundle, the declarations, every check page and the demo; no source maps, no test data', () => {
    for (const file of ['dist/src/cli.js', 'dist/src/api.js', 'dist/types/src/api.d.ts', 'examples/demo.json']) assert.ok(shipped.includes(file), `${file} is not in the package`);
    for (const { id } of CHECKS) assert.ok(shipped.includes(`docs/checks/${id}.md`), `docs/checks/${id}.md is not in the package`);
    assert.deepEqual(shipped.filter((f) => !SHIPPABLE.some((re) => re.test(f))), [], 'files the package should not carry');
    const mapped = shipped.filter((f) => f.endsWith('.js') && /sourceMappingURL=/.test(readFileSync(join(pkgDir, f), 'utf8')));
    assert.deepEqual(mapped, [], 'shipped code pointing at source maps');
  });

  test("every bin of package.json is installed and leads to a file the package ships", () => {
    const bins = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> }).bin;
    for (const [name, file] of Object.entries(bins)) {
      assert.ok(shipped.includes(file), `bin ${name}: ${file} is not in the package`);
      assert.equal(realpathSync(join(prefix, 'bin', name)), realpathSync(join(pkgDir, file)), `bin ${name}`);
    }
  });

  test("a plugin outside any node_modules imports defineCheck from 'np-doctor', and its finding is in the report", () => {
    const pluginDir = mkdtempSync(join(dir, 'plugin-'));
    writeFileSync(join(pluginDir, 'team.mjs'), TEAM_PLUGIN);
    const run = spawnSync(bin, ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', join(pkgDir, 'examples/demo.json'), '--plugin', 'team.mjs', '-o', 'json'], {
      cwd: pluginDir, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: MAX_OUTPUT,
    });
    assert.equal(run.stderr, '');
    const report = JSON.parse(run.stdout) as { findings: { id: string; severity: string; message: string }[] };
    assert.deepEqual(report.findings.filter((f) => f.id === 'team-policy').map((f) => [f.severity, f.message]), [['warning', 'service frontend breaks our team rule']]);
  });

  test('a TypeScript plugin type-checks against the installed declarations, and a wrong severity does not', () => {
    const project = mkdtempSync(join(dir, 'ts-plugin-'));
    // The plugin's project has np-doctor in its node_modules, as `npm install -D np-doctor` leaves it.
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(pkgDir, join(project, 'node_modules', 'np-doctor'), 'dir');
    writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(project, 'good.ts'), `import { defineCheck, sh, type CheckContext } from 'np-doctor';
export default defineCheck({
  id: 'team-policy', title: 'Team rule', description: 'our rule', severity: 'warning', stage: 'context',
  requires: ['service'], messages: { m: 'service {{name}} breaks our team rule' },
  run: (ctx) => [{ messageId: 'm', data: { name: ctx.service.name }, evidence: [],
    remediation: { summary: 'fix', commands: [sh\`kubectl -n \${ctx.service.namespace} get svc \${ctx.service.name}\`] } }],
});
export const namespaceOf = (ctx: CheckContext): string => ctx.service?.namespace ?? '';
`);
    writeFileSync(join(project, 'bad.ts'), `import { defineCheck } from 'np-doctor';
export default defineCheck({ id: 'x', title: 't', description: 'd', severity: 'fatal', stage: 'context', requires: [], messages: { m: 'm' }, run: () => [] });
`);
    // A plugin author's project: strict, declarations checked too, Node's types from @types/node.
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false,
        types: ['node'], typeRoots: [resolve('node_modules/@types')],
      },
      files: ['good.ts', 'bad.ts'],
    }));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { cwd: project, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: MAX_OUTPUT });
    const errors = run.stdout.split('\n').filter((l) => l.includes('error TS'));
    assert.equal(errors.length, 1, run.stdout + run.stderr);
    assert.match(errors[0] ?? '', /^bad\.ts\(2,\d+\): error TS2322: Type '"fatal"' is not assignable to type/);
  });
});
