import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';
import floors from './eslint/import-floors.js';
import { FLOOR_PLAN } from './eslint/floor-plan.js';

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Ink's Text prints its string children raw; src/tui/components/Text.tsx is the sanitising one.
    // Ink's useInput hands a chunk of keys to one handler rendered with stale state;
    // src/tui/input/router.tsx splits chunks and hands each key to the latest handlers.
    files: ['src/**/*.tsx', 'src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'ink', importNames: ['Text', 'useInput'], message: 'Text: use src/tui/components/Text.tsx (it escapes control characters from the cluster); useInput: use useKeys from src/tui/input/router.tsx (no key dropped).' }],
      }],
    },
  },
  {
    // The layers: every import points down the floor plan (eslint/floor-plan.js).
    files: ['src/**/*.ts', 'src/**/*.tsx', 'checks/**/*.ts'],
    plugins: { floors },
    rules: { 'floors/import-down': ['error', { root: import.meta.dirname, plan: FLOOR_PLAN }] },
  },
  {
    // A check's requirements narrow its context; an assertion left needs an eslint-disable comment saying why it holds.
    // Built-in checks reach np-doctor only through the kit's index, exactly as a plugin does (src/api.ts).
    files: ['checks/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'error',
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src/(?!check-kit/index\\.js$)', message: 'checks import np-doctor only through src/check-kit/index.js, as plugins do' }] }],
    },
  },
  { files: ['eslint.config.js', 'eslint/**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
