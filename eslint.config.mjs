// Flat config: typescript-eslint recommendedTypeChecked plus the layering rule of
// docs/architecture.md: src/events, src/state, src/models and src/kernel are pure
// (no rxjs, no node built-ins, no process/Buffer globals), so models stay testable
// on plain arrays and portable to a worker or a browser.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const builtins = builtinModules.filter((m) => !m.startsWith('_'));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/out/**', 'coverage/**', 'vmtest/build/**', 'vmtest/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', '*.ts', 'scripts/*.mjs', 'bench/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
    },
  },
  {
    files: ['src/events/**', 'src/state/**', 'src/models/**', 'src/kernel/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'pure layer: no node built-ins (docs/architecture.md)' },
            { group: ['rxjs', 'rxjs/*'], message: 'pure layer: no rxjs (docs/architecture.md)' },
          ],
          paths: builtins.map((name) => ({ name, message: 'pure layer: no node built-ins' })),
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'pure layer: no process global' },
        { name: 'Buffer', message: 'pure layer: no Buffer global' },
      ],
    },
  },
  {
    files: ['**/*.mjs', 'scripts/**', 'bench/**'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // plain Node scripts: no-undef applies to them (not to TS files), so name Node's globals
    files: ['**/*.mjs', 'scripts/**', 'bench/**'],
    languageOptions: {
      globals: { URL: 'readonly', process: 'readonly', console: 'readonly', Buffer: 'readonly', performance: 'readonly', setTimeout: 'readonly', gc: 'readonly' },
    },
  },
);
