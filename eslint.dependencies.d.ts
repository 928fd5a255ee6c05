import type { Linter } from 'eslint';

/** Files allowed to import devDependencies (see eslint.dependencies.js). */
export declare const DEVELOPMENT_FILES: string[];
/** The config blocks that keep imports to declared dependencies. */
export declare const declaredDependencies: Linter.Config[];
