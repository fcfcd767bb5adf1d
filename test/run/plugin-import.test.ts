/**
 * Why a --plugin file did not load, named truly: the file itself missing, or a package or file it
 * imports missing (Node reports both as ERR_MODULE_NOT_FOUND, naming the importer). A plugin
 * importing 'np-doctor' from a global install is in test/install/global-install.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadPlugins, PluginError } from '../../src/run/plugins.js';

describe('--plugin load errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npd-plugin-import-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const fails = async (file: string, message: string): Promise<void> => {
    await assert.rejects(loadPlugins([file], [], dir), (e: unknown) => {
      assert.ok(e instanceof PluginError);
      assert.equal(e.message, message);
      return true;
    });
  };

  test('a plugin file that does not exist is "file not found", with the path looked at', async () => {
    await fails('gone.mjs', `--plugin gone.mjs: cannot load: file not found (${join(dir, 'gone.mjs')})`);
  });

  test('a package the plugin imports that is not installed is named, with the file importing it; the plugin file exists', async () => {
    writeFileSync(join(dir, 'needs-package.mjs'), "import pad from 'np-doctor-test-no-such-package';\nexport default pad;\n");
    await fails('needs-package.mjs', `--plugin needs-package.mjs: cannot load: ${join(dir, 'needs-package.mjs')} imports the package 'np-doctor-test-no-such-package', which is not installed in any node_modules folder above it`);
  });

  test('a file the plugin imports that does not exist is named, one import down', async () => {
    writeFileSync(join(dir, 'entry.mjs'), "export { default } from './lib.mjs';\n");
    writeFileSync(join(dir, 'lib.mjs'), "export { default } from './missing-helper.mjs';\n");
    await fails('entry.mjs', `--plugin entry.mjs: cannot load: ${join(dir, 'lib.mjs')} imports ${join(dir, 'missing-helper.mjs')}, which does not exist`);
  });

  test('what a plugin throws is shown up to 300 characters, loading it or defining its check', async () => {
    writeFileSync(join(dir, 'throws.mjs'), "throw new Error('x'.repeat(100000));\n");
    await fails('throws.mjs', `--plugin throws.mjs: cannot load: ${'x'.repeat(300)}…`);
    writeFileSync(join(dir, 'bad-check.mjs'), "export default { get id() { throw new Error('y'.repeat(100000)); } };\n");
    await fails('bad-check.mjs', `--plugin bad-check.mjs: ${'y'.repeat(300)}…`);
  });
});
