import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { Config } from '../../../src/core/config/types';
import { runGenerate } from '../../../src/pipeline/run-generate';
import { gitRoot } from '../git-process';
import { createBareRepo, git } from '../git-server';
import type { RegionState } from '../state';
import type { EngineName, Layout } from './index';

/**
 * The deploy's Git side. The served repository `<git url>/gitops.git` is the fleet's
 * repository; `<cluster dir>/deploy/work` is a clone of it, as a person's checkout would be:
 * the deployed config at its root (`mr-drift.yaml`) and the generated tree at `gitops.path`
 * beside it. So the engines' paths (`./overlays/regions/<region>`) and `mr-drift check
 * --base main` (run in the clone) both see what a real repository would hold.
 */

/** Name of the served repository. */
export const REPO_NAME = 'gitops';
/** The branch the engines follow. */
export const BRANCH = 'main';
/** The config file inside the clone. */
export const CONFIG_FILE = 'mr-drift.yaml';

const AUTHOR = {
  GIT_AUTHOR_NAME: 'mr-drift deploy',
  GIT_AUTHOR_EMAIL: 'deploy@mr-drift.invalid',
  GIT_COMMITTER_NAME: 'mr-drift deploy',
  GIT_COMMITTER_EMAIL: 'deploy@mr-drift.invalid',
};

/** The clone's folder. */
export function workDir(clusterDir: string): string {
  return join(clusterDir, 'deploy', 'work');
}

/** What {@link commitDeployedConfig} produced. */
export interface PushedTree {
  workDir: string;
  /** The deployed config file in the clone. */
  configFile: string;
  /** The deployed config, parsed and validated. */
  config: Config;
  /** `<workDir>/<gitops.path>`. */
  treeDir: string;
  /** Clone URL of the served repository. */
  url: string;
  branch: string;
  /** The commit `main` points at after the push. */
  commit: string;
  /** False when the config and tree were already on `main` (nothing was pushed). */
  changed: boolean;
}

/**
 * The user's config made deployable to the test regions: the engine and layout chosen,
 * the repository URL of the local Git server on `main`, and each region's API server the
 * harness's. Comments and everything else stay as the user wrote them.
 */
export function deployedConfigText(
  userConfigText: string,
  opts: { engine: EngineName; layout: Layout; repoURL: string; regions: RegionState[] },
): string {
  const doc = parseDocument(userConfigText);
  doc.setIn(['gitops', 'engine'], opts.engine);
  doc.setIn(['gitops', 'repoURL'], opts.repoURL);
  doc.setIn(['gitops', 'revision'], BRANCH);
  if (opts.engine === 'flux') doc.setIn(['gitops', 'flux', 'layout'], opts.layout);
  const servers = new Map(opts.regions.map((r) => [r.name, r.server]));
  const list = doc.get('regions');
  if (isSeq(list)) {
    for (const item of list.items) {
      if (!isMap(item)) continue;
      const region = item;
      const server = servers.get(String(region.get('name')));
      if (server === undefined) continue;
      region.set('cluster', doc.createNode({ server }));
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * Makes `main` of the served repository hold the deployed config and the tree generated
 * from it: clones (or updates) the work clone, resets it to `origin/main`, writes the
 * config, runs the generator, commits and pushes when something changed.
 */
export async function commitDeployedConfig(opts: {
  clusterDir: string;
  gitUrl: string;
  userConfigFile: string;
  engine: EngineName;
  layout: Layout;
  regions: RegionState[];
  log: (line: string) => void;
}): Promise<PushedTree> {
  await createBareRepo(gitRoot(opts.clusterDir), REPO_NAME);
  const url = `${opts.gitUrl}/${REPO_NAME}.git`;
  const dir = workDir(opts.clusterDir);
  if (!existsSync(join(dir, '.git'))) {
    mkdirSync(join(dir, '..'), { recursive: true });
    await git(['clone', '--quiet', url, dir]);
  } else {
    await git(['remote', 'set-url', 'origin', url], dir);
  }
  await git(['fetch', '--quiet', 'origin'], dir);
  const remoteMain = (await git(['ls-remote', '--heads', 'origin', BRANCH], dir)).trim() !== '';
  // The clone is the harness's own: deploy always starts from what main holds.
  if (remoteMain)
    await git(['checkout', '--quiet', '--force', '-B', BRANCH, `origin/${BRANCH}`], dir);
  else await git(['checkout', '--quiet', '--force', '--orphan', BRANCH], dir).catch(() => '');
  await git(['clean', '--quiet', '-fdx'], dir);

  const configFile = join(dir, CONFIG_FILE);
  writeFileSync(
    configFile,
    deployedConfigText(readFileSync(opts.userConfigFile, 'utf8'), {
      engine: opts.engine,
      layout: opts.layout,
      repoURL: url,
      regions: opts.regions,
    }),
  );
  const generated = runGenerate({ configPath: configFile, force: true });
  opts.log(
    `generated ${generated.plan.length} files for ${opts.engine} (${opts.layout}) in ${generated.outDir}`,
  );
  const { changed, commit } = await commitAndPush(
    dir,
    `deploy: ${opts.engine} ${opts.layout}, from ${opts.userConfigFile}`,
  );
  return {
    workDir: dir,
    configFile,
    config: generated.config,
    treeDir: generated.outDir,
    url,
    branch: BRANCH,
    commit,
    changed,
  };
}

/** Commits everything in the clone (if anything changed) and pushes the current branch. */
export async function commitAndPush(
  dir: string,
  message: string,
): Promise<{ changed: boolean; commit: string }> {
  await git(['add', '--all'], dir);
  const dirty = (await git(['status', '--porcelain'], dir)).trim() !== '';
  if (dirty) await git(['commit', '--quiet', '--no-gpg-sign', '-m', message], dir, AUTHOR);
  const branch = (await git(['rev-parse', '--abbrev-ref', 'HEAD'], dir)).trim();
  await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], dir);
  const commit = (await git(['rev-parse', 'HEAD'], dir)).trim();
  return { changed: dirty, commit };
}
