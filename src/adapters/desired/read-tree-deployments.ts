/**
 * Reads the GitOps engines' objects of the tree under `--path` (Argo CD Applications and
 * ApplicationSets, Flux Kustomizations; see core/engine/tree-deployments.ts) and finds, for
 * each region, the one that deploys its overlay: paths are compared relative to the root
 * of the Git repository holding `--path` (what Argo CD's `source.path` and Flux's
 * `spec.path` are relative to), or to `--path`'s parent outside a repository.
 */
import { readdir, readFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { TreeSettingsError } from '../../core/errors';
import {
  deploymentFor,
  readTreeDeployments,
  type Deployment,
  type TreeFile,
} from '../../core/engine/tree-deployments';
import { displayPath } from '../fs/display-path';
import { git } from '../git/run-git';

/** What the tree says about one region. */
export interface RegionDeployment {
  deployment?: Deployment;
  warnings: string[];
}

/**
 * The tree's deployments, one lookup per region folder. Invalid settings stop the run
 * before any cluster is contacted (TreeSettingsError, every problem at once).
 */
export async function readRegionDeployments(
  treeDir: string,
): Promise<(regionDir: string) => RegionDeployment> {
  const files = await yamlFiles(resolve(treeDir));
  const texts: TreeFile[] = await Promise.all(
    files.map(async (f) => ({ path: displayPath(f), text: await readFile(f, 'utf8') })),
  );
  const tree = readTreeDeployments(texts);
  if (tree.problems.length > 0) throw new TreeSettingsError(tree.problems);
  const root = await repoRoot(resolve(treeDir));
  return (regionDir) => {
    const rel = relative(root, resolve(regionDir)).split(sep).join('/');
    const { deployment, warning } = deploymentFor(tree.deployments, rel);
    const warnings = deployment ? [...tree.warnings] : [];
    if (warning) warnings.push(warning);
    return deployment ? { deployment, warnings } : { warnings };
  };
}

async function repoRoot(dir: string): Promise<string> {
  const top = await git(['rev-parse', '--show-toplevel'], dir, process.env, 5_000);
  return top.ok && top.stdout.trim() !== '' ? top.stdout.trim() : resolve(dir, '..');
}

/** YAML files under `dir`, skipping hidden folders and node_modules. */
async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = resolve(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.ya?ml$/i.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}
