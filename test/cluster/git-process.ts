import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './paths';
import { isOurs, spawnDetached, stopProcess, type StartedProcess } from './processes';
import type { Starter } from './state';

/**
 * The local Git server (git-server.ts) run as a detached process by `npm run cluster --
 * up`, so that it outlives the command like the regions do. It serves every bare
 * repository under `<cluster dir>/git/`; create one with createBareRepo(root, name) from
 * git-server.ts and clone it from `<url>/<name>.git`.
 */

/** What state.json records about the running Git server. */
export interface GitProcessState extends StartedProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The folder whose bare repositories it serves. */
  root: string;
  startedBy: Starter;
  startedAt: string;
}

/** The folder of served repositories inside a cluster folder. */
export function gitRoot(clusterDir: string): string {
  return join(clusterDir, 'git');
}

/** Starts the server detached and waits until it listens (at most 60 s). */
export async function startGitProcess(
  clusterDir: string,
  startedBy: Starter,
  track: (p: StartedProcess, running: boolean) => void = () => {},
): Promise<GitProcessState> {
  const root = gitRoot(clusterDir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const ready = join(clusterDir, 'git-server.json');
  const logFile = join(clusterDir, 'git-server.log');
  rmSync(ready, { force: true });
  writeFileSync(logFile, `# git server, started ${new Date().toISOString()}\n`);
  const child = spawnDetached(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'test', 'cluster', 'git-serve.ts'),
      '--root',
      root,
      '--ready',
      ready,
    ],
    logFile,
    // `--import tsx` is resolved from the working folder: the repository's node_modules.
    { cwd: repoRoot },
  );
  if (child.pid === undefined) throw new Error('could not start the git server');
  const proc: StartedProcess = { pid: child.pid, marker: root };
  track(proc, true);
  let exited: number | string | null | undefined;
  child.once('exit', (code, signal) => {
    exited = code ?? signal;
  });
  const deadline = Date.now() + 60_000;
  while (!existsSync(ready)) {
    if (exited !== undefined || Date.now() > deadline) {
      await stopProcess(proc);
      track(proc, false);
      const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
      throw new Error(
        `the git server ${exited !== undefined ? `exited (${exited})` : 'did not start within 60 s'}; end of ${logFile}:\n${tail}`,
      );
    }
    await sleep(100);
  }
  const { url } = JSON.parse(readFileSync(ready, 'utf8')) as { url: string };
  return { ...proc, url, root, startedBy, startedAt: new Date().toISOString() };
}

/** True if the recorded process is still ours and answers /healthz. */
export async function gitProcessHealthy(state: GitProcessState): Promise<boolean> {
  if (!isOurs(state)) return false;
  return new Promise((resolve) => {
    const req = request(`${state.url}/healthz`, { timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Stops it by its recorded pid (after checking the pid is still ours). */
export async function stopGitProcess(state: GitProcessState): Promise<void> {
  await stopProcess(state);
}
