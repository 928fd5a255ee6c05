/**
 * The test clusters' own load, for benchmarks: how much CPU their API servers and etcds
 * have used, and waiting until they are idle before timing the next command.
 */
import { readFileSync } from 'node:fs';
import { clusterDir } from '../test/cluster/paths';
import { readState } from '../test/cluster/state';

/** CPU time (ms) the clusters' API servers and etcds have used so far, from /proc. */
export function clusterCpuMs(): number {
  const pids = Object.values(readState(clusterDir()).regions).flatMap((r) => [
    r.apiserver.pid,
    r.etcd.pid,
  ]);
  const tick = 100; // USER_HZ on Linux
  return pids.reduce((sum, pid) => {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return sum + ((Number(fields[11]) + Number(fields[12])) * 1000) / tick;
    } catch {
      return sum;
    }
  }, 0);
}

/**
 * Waits until the clusters are idle: the API servers and etcds together below 5 % of one
 * core over half a second (at most 20 s), so no command is timed while the servers are
 * still busy with the previous one.
 */
export async function settle(): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < 20_000) {
    const before = clusterCpuMs();
    await new Promise((r) => setTimeout(r, 500));
    if (clusterCpuMs() - before < 25) return;
  }
}
