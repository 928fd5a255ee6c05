import { Command } from 'commander';
import { UsageError } from '../core/errors';

// Placeholder until the drift engine lands (owned by the drift-engine engineer; replace whole file).
export function checkCommand(): Command {
  return new Command('check').description('report drift (not built yet)').action(() => {
    throw new UsageError('check is not built yet');
  });
}
