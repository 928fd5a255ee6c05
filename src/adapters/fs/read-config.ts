import { readFileSync } from 'node:fs';
import { parseConfig } from '../../core/config/parse-config';
import type { Config } from '../../core/config/types';
import { ConfigError } from '../../core/errors';

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
    throw new ConfigError(
      [
        {
          file,
          message: code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`,
        },
      ],
      'Create mr-drift.yaml (see the README) or pass --config <file>.',
    );
  }
  return parseConfig(text, file);
}
