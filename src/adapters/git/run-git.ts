import { execFile } from 'node:child_process';

/** What a git command did: whether it succeeded, its output, and whether git is missing. */
export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** True when there is no git on PATH. */
  missing?: boolean;
}

/** Runs git in `cwd`; never rejects (the result says how it went). Killed after `timeoutMs`. */
export function git(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 300_000,
): Promise<GitResult> {
  return new Promise((done) => {
    execFile(
      'git',
      args,
      { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const missing = (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
        done({ ok: !err, stdout: String(stdout), stderr: String(stderr), missing });
      },
    );
  });
}
