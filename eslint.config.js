// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { declaredDependencies } from './eslint.dependencies.js';
import { rings } from './eslint.rings.js';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'overlays/**',
      '.cluster/**',
      '.cache/**',
      'coverage/**',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'test/support/*.mjs'],
        },
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  ...rings,
  ...declaredDependencies,
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
