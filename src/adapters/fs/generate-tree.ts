import { basename, dirname, join, relative } from 'node:path';
import type { Config } from '../../core/config/types';
import { planTree, type PlannedFile } from '../../core/plan/plan-tree';
import { loadTemplates } from '../templates';
import { loadConfig } from './read-config';
import { diffTree, type TreeDiff } from './tree-diff';
import { writeTree } from './write-tree';

export interface GenerateOptions {
  /** Config file (default mr-drift.yaml in the working directory). */
  configPath: string;
  /** User template folder whose files replace bundled templates of the same name. */
  templatesDir?: string;
  /** Output root; default: the config's gitops.path, relative to the config file. */
  outDir?: string;
  /** Compare only (CI): write nothing. */
  check?: boolean;
  /** Compute the changes (for a diff): write nothing. */
  dryRun?: boolean;
  /** Overwrite generated files edited by hand. */
  force?: boolean;
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
export function generateTree(options: GenerateOptions): GenerateResult {
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

/** Output folder as shown to the user: relative to the working directory when inside it. */
export function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
}
