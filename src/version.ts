/** mr-drift's version, reported by `--version` and in every drift report. Keep in step with package.json. */
export const VERSION = '0.1.0';
