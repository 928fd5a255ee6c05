import { basename, dirname, join } from 'node:path';
import type { Config } from '../core/config/types';
import { planTree, type PlannedFile } from '../core/plan/plan-tree';
import { displayPath } from '../adapters/fs/display-path';
import { loadConfig } from '../adapters/fs/read-config';
import { diffTree, type TreeDiff } from '../adapters/fs/tree-diff';
import { writeTree } from '../adapters/fs/write-tree';
import { loadTemplates } from '../adapters/templates';

export interface GenerateOptions {
  /** Config file (default mr-drift.yaml in the working directory). */
  configPath: string;
  /** User template folder whose files replace bundled templates of the same name. */
  templatesDir?: string | undefined;
  /** Output root; default: the config's gitops.path, relative to the config file. */
  outDir?: string | undefined;
  /** Compare only (CI): write nothing. */
  check?: boolean | undefined;
  /** Compute the changes (for a diff): write nothing. */
  dryRun?: boolean | undefined;
  /** Overwrite generated files edited by hand. */
  force?: boolean | undefined;
}

export interface GenerateResult {
  config: Config;
  outDir: string;
  plan: PlannedFile[];
  diff: TreeDiff;
  /** True when files were written. */
  written: boolean;
}

/**
 * The generate pipeline: read and validate the config, load templates, plan the whole
 * tree in memory (rendering and YAML checks happen here, so any failure stops the run
 * before a byte is written), compare with the output folder, then write unless checking.
 */
export function runGenerate(options: GenerateOptions): GenerateResult {
  const config = loadConfig(options.configPath);
  const templates = loadTemplates(options.templatesDir);
  const plan = planTree(config, templates, { configName: basename(options.configPath) });
  const outDir = options.outDir ?? join(dirname(options.configPath), config.gitops.path);
  const diff = diffTree(outDir, plan);
  const write = !options.check && !options.dryRun;
  // Also with nothing to change: hand edits and foreign files get the same refusal.
  if (write)
    writeTree(outDir, diff, { force: options.force ?? false, displayDir: displayPath(outDir) });
  return { config, outDir, plan, diff, written: write && diff.changes.length > 0 };
}
