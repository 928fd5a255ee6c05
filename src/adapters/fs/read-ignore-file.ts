import { readFile } from 'node:fs/promises';
import { UsageError } from '../../core/errors';
import { parseIgnoreFile } from '../../core/ignore/parse-ignore-file';
import type { IgnoreFile } from '../../core/ignore/ignore-rules';

/** Name of the ignore-rules file looked for in the working directory. */
export const DEFAULT_IGNORE_FILE = '.mr-drift-ignore.yaml';

/**
 * Reads the ignore-rules file. An explicitly named file must exist; the default one is
 * optional. Invalid content -> IgnoreFileError listing every problem.
 */
export async function readIgnoreFile(file: string | undefined): Promise<IgnoreFile> {
  const path = file ?? DEFAULT_IGNORE_FILE;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (file === undefined && (e as NodeJS.ErrnoException).code === 'ENOENT') return { rules: [] };
    throw new UsageError(
      (say) =>
        `${say.subject('ignore-file', path)}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      (say) =>
        `Check the path, or leave ${say.option('ignore-file')} out to use .mr-drift-ignore.yaml when present.`,
    );
  }
  return parseIgnoreFile(text, path);
}
