import type { Linter } from 'eslint';

/** The config blocks that keep the rings apart (see eslint.rings.js). */
export declare const rings: Linter.Config[];
