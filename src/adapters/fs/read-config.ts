import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseConfig } from '../../core/config/parse-config';
import type { Config } from '../../core/config/types';
import { ConfigError } from '../../core/errors';

/** The config file `mr-drift generate` reads by default. */
export const DEFAULT_CONFIG_FILE = 'mr-drift.yaml';

/**
 * Reads and validates the config file. The only place the config is read from disk;
 * everything else receives the frozen Config.
 */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') {
      throw new ConfigError(
        [{ file, message: 'is a folder, not a config file' }],
        (say) =>
          `Pass the config file itself, e.g. ${say.setting('config', join(file, DEFAULT_CONFIG_FILE))}.`,
      );
    }
    throw new ConfigError(
      [
        {
          file,
          message:
            code === 'ENOENT'
              ? 'file not found'
              : `cannot read it (${code ?? (err as Error).message})`,
        },
      ],
      // The default name missing: probably a first run; a name the user typed: a typo.
      basename(file) === DEFAULT_CONFIG_FILE
        ? (say) =>
            `Create ${DEFAULT_CONFIG_FILE} (see docs/config.md) or pass ${say.option('config', '<file>')}.`
        : (say) => `Check the path given with ${say.option('config')}.`,
    );
  }
  return parseConfig(text, file);
}
