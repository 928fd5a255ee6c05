// @ts-check
// Every package the code imports is declared in package.json, and what src/ imports (it
// is bundled into dist/) is a dependency, never a devDependency. eslint.config.js uses
// this block; test/unit/dependencies.test.ts proves it fires. Type-only imports are not
// checked: they leave nothing in the bundle.
import importX from 'eslint-plugin-import-x';

/** Files that may import devDependencies: everything that never ships in dist/. */
export const DEVELOPMENT_FILES = [
  'test/**',
  'bench/**',
  'scripts/**',
  'eslint.config.js',
  'eslint.dependencies.js',
  'eslint.rings.js',
  'vitest.config.ts',
];

/** Config blocks for declared dependencies. */
export const declaredDependencies = [
  {
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-extraneous-dependencies': [
        'error',
        {
          devDependencies: DEVELOPMENT_FILES,
          optionalDependencies: false,
          peerDependencies: false,
        },
      ],
    },
  },
];
