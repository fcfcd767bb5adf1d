#!/usr/bin/env node
import { main } from './main.js';

// The only place that touches process exit state: main() returns the code.
process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
});
