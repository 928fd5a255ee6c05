import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Starting and stopping the etcd and kube-apiserver processes. They run detached (their
 * own process group, no stdin, output to a log file) so that they outlive `cluster up`,
 * and they are stopped by pid only after checking that the pid still belongs to the
 * process we started: pids are reused, and killing a stranger's process would be worse
 * than leaving ours running.
 */

/** A process the harness started; `marker` is a unique argument it was started with. */
export interface StartedProcess {
  pid: number;
  /** A string (its data or config folder) found in its command line, to recognise it. */
  marker: string;
}

/** Starts `command` detached, appending its output to `logFile`. */
export function spawnDetached(
  command: string,
  args: string[],
  logFile: string,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, GOTRACEBACK: 'all', ...opts.env },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    child.unref();
    return child;
  } finally {
    // The child has its own copy of the descriptor.
    closeSync(fd);
  }
}

/** True if a process with this pid exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = readProc(pid, 'stat');
  // Field 3 of /proc/<pid>/stat is the state; Z is a zombie (exited, not yet reaped).
  if (stat !== undefined && /^\d+ \(.*\) Z/s.test(stat)) return false;
  return true;
}

/** True if the pid is alive and is still the process we started (same marker argument). */
export function isOurs(p: StartedProcess): boolean {
  if (!processAlive(p.pid)) return false;
  const cmdline = readProc(p.pid, 'cmdline');
  // Without /proc (not Linux) we cannot check identity; trust the pid.
  if (cmdline === undefined) return !existsSync('/proc');
  return cmdline.split('\0').some((arg) => arg.includes(p.marker));
}

/**
 * Stops a started process: SIGTERM, then SIGKILL if it is still there after `graceMs`.
 * Does nothing if the pid is gone or now belongs to another program.
 */
export async function stopProcess(
  p: StartedProcess,
  graceMs = 15_000,
): Promise<'stopped' | 'gone'> {
  if (!isOurs(p)) return 'gone';
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!processAlive(p.pid)) return 'stopped';
    await sleep(100);
  }
  if (isOurs(p)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // It exited between the check and the kill.
    }
    for (let i = 0; i < 50 && processAlive(p.pid); i++) await sleep(100);
  }
  return 'stopped';
}

/** Resident memory of a process in KiB, from /proc (undefined where unavailable). */
export function residentKiB(pid: number): number | undefined {
  const status = readProc(pid, 'status');
  const m = status?.match(/^VmRSS:\s+(\d+) kB/m);
  return m ? Number(m[1]) : undefined;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}
