// @ts-check
// The rings of docs/architecture.md, locked in by ESLint (eslint.config.js uses these
// blocks; test/unit/layers.test.ts proves each restriction fires): src/core is pure, and
// the entry points (src/cli, src/action) are imported by nothing below them.
import { builtinModules } from 'node:module';

const ENTRIES = {
  group: ['**/cli/*', '**/cli', '**/action/*', '**/action'],
  message:
    'src/cli and src/action are entry points: nothing below them imports them. Move what both need into core/, adapters/ or pipeline/.',
};
const CORE_IS_PURE = [
  {
    // Hashing is the one Node module core uses; everything else in node: does I/O or
    // depends on the process.
    regex: '^node:(?!crypto$)',
    message: 'src/core is pure: no Node I/O. Do the I/O in src/adapters and pass the data in.',
  },
  {
    group: builtinModules.filter((m) => m !== 'crypto' && !m.startsWith('_')),
    message: 'src/core is pure: no Node I/O. Do the I/O in src/adapters and pass the data in.',
  },
  {
    group: ['@actions/*'],
    message: 'src/core is pure: only src/adapters/actions talks to the Actions toolkit.',
  },
  {
    group: ['**/adapters/*', '**/adapters', '**/pipeline/*', '**/pipeline'],
    message:
      'src/core imports no adapter and no pipeline: they call core, never the other way round.',
  },
  ENTRIES,
];

/** Config blocks for the rings. */
export const rings = [
  {
    files: ['src/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: CORE_IS_PURE }] },
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/pipeline/*', '**/pipeline'],
              message: 'src/adapters do the I/O the pipeline orders; they never import it.',
            },
            ENTRIES,
          ],
        },
      ],
    },
  },
  {
    files: ['src/pipeline/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ENTRIES] }] },
  },
];
