import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { coreBoundary, schedulerSeam } from './scripts/eslint/coreBoundary.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.sandbox/**', 'test-results/**', '**/*.py', 'esbuild.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // The core is plain TypeScript: it must run under the Node test runner without VS Code, so it
    // imports neither vscode nor a feature folder (which may). Paths are resolved, not pattern-matched.
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts'],
    rules: { 'local/core-boundary': 'error' },
  },
  {
    // Features and the neutral scheduler code reach a scheduler only through the Scheduler
    // interface (src/core/scheduler/types.ts): a scheduler's own folder (slurm/, …) is imported
    // from inside it and by the factory that picks an implementation per host (src/core/jobs/schedulers.ts).
    files: ['src/**/*.ts'],
    plugins: { local: { rules: { 'core-boundary': coreBoundary, 'scheduler-seam': schedulerSeam } } },
    rules: { 'local/scheduler-seam': 'error' },
  },
  {
    // Plain CommonJS run inside VS Code's extension host (@vscode/test-electron; the e2e API client extension).
    files: ['test/electron/*.js', 'test/e2e/apiClient/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', exports: 'writable', console: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs', 'scripts/**/*.js', 'bench/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
  },
);
