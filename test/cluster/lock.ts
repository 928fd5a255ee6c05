import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from './processes';

/**
 * A lock between processes on one machine: a directory created with mkdir (atomic on
 * every file system) holding the owner's pid. A lock whose owner died is taken over, so a
 * crashed `cluster up` never blocks the next one.
 *
 * Several people and test runs share one working tree here; without this, two of them
 * could start the same region twice or build the same binary at once on two cores.
 */
export async function withLock<T>(
  path: string,
  what: string,
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = lockOwner(path);
      // No pid yet means the owner is between mkdir and write: give it a moment, unless
      // the folder is old (its owner died right after mkdir).
      const stale =
        owner === undefined
          ? Date.now() - createdAt(path) > 10_000
          : owner !== process.pid && !processAlive(owner);
      if (stale) {
        rmSync(path, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (lock ${path} held by pid ${owner ?? '?'}); if no such process runs, delete the lock folder`,
          { cause: err },
        );
      }
      if (!told) {
        opts.log?.(`waiting for ${what}: pid ${owner ?? '?'} holds ${path}`);
        told = true;
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}

/** When the lock folder was made (now, if it vanished meanwhile). */
function createdAt(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

function lockOwner(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(path, 'pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
