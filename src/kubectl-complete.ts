#!/usr/bin/env node
/**
 * kubectl_complete-np_doctor: kubectl (1.26+) completes `kubectl np-doctor …` by running an
 * executable of this name from PATH with the words typed after the plugin's name, the last one
 * being completed, and reads back cobra's answer: candidates, one a line, then `:DIRECTIVE`.
 */
const { main } = await import('./main.js');

process.exitCode = await main(['__complete', ...process.argv.slice(2)], {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  isTTY: false,
});
