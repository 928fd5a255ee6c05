import { rmSync } from 'node:fs';

/**
 * Temporary folders that must not outlive the process, even when it is interrupted.
 *
 * Node ends on SIGINT/SIGTERM without running `finally` blocks or `exit` listeners, so an
 * interrupted `check --base` would leave its copy of the base revision in the temp folder.
 * `exitOnSignals` turns those signals into `process.exit` (exit code 128 + signal number,
 * like a shell), which runs the `exit` listener that removes whatever is still registered.
 */
const pending = new Set<string>();
let listening = false;

function removePending(): void {
  for (const dir of pending) rmSync(dir, { recursive: true, force: true });
  pending.clear();
}

/** Removes `dir` when the process exits, unless `release` was called first. */
export function removeOnExit(dir: string): { release: () => void } {
  if (!listening) {
    process.on('exit', removePending);
    listening = true;
  }
  pending.add(dir);
  return { release: () => void pending.delete(dir) };
}

/** Entry points call this once: Ctrl-C and a cancelled job still clean up. */
export function exitOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nmr-drift: interrupted (${signal}); removing temporary files\n`);
      process.exit(code);
    });
  }
}
