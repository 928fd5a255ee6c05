import { Command } from 'commander';
import { UsageError } from '../core/errors';

// Placeholder until the generator lands (owned by the generator engineer; replace whole file).
export function generateCommand(): Command {
  return new Command('generate').description('write the GitOps tree (not built yet)').action(() => {
    throw new UsageError('generate is not built yet');
  });
}
