import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RenderError, ToolMissingError } from '../core/errors';

/** The command that builds a kustomization: standalone kustomize, else kubectl's. */
export interface KustomizeTool {
  command: string;
  args: string[];
}

let cached: KustomizeTool | undefined;

/**
 * Finds the kustomize to use: `kustomize build` when on PATH, else `kubectl kustomize`
 * (the same engine, built into kubectl). Neither -> ToolMissingError with a hint.
 * Argo CD and Flux both run kustomize itself, so the tree is never rendered any other way.
 */
export function findKustomize(path = process.env.PATH ?? ''): KustomizeTool {
  if (cached && path === process.env.PATH) return cached;
  let tool: KustomizeTool | undefined;
  if (onPath('kustomize', path)) tool = { command: 'kustomize', args: ['build'] };
  else if (onPath('kubectl', path)) tool = { command: 'kubectl', args: ['kustomize'] };
  if (!tool) {
    throw new ToolMissingError(
      'kustomize (or kubectl)',
      'Install kubectl (it includes kustomize) or kustomize, and make sure it is on PATH.',
    );
  }
  if (path === process.env.PATH) cached = tool;
  return tool;
}

/**
 * How long one kustomize build may take by default (`--render-timeout`). An overlay of a
 * few hundred objects builds in well under a second, but kustomize's time grows roughly
 * with the square of the objects in one build (kustomize v5.7.0 here: 1,000 objects 2 s,
 * 2,000 8 s, 4,000 44 s, 10,000 516 s; docs/benchmarks.md), so a very large region can
 * need longer. A build that takes minutes otherwise waits on a remote resource or base
 * (an `https://` or git URL) that does not answer, and kustomize never gives up on those.
 */
export const RENDER_TIMEOUT_MS = 120_000;

/**
 * Builds a kustomization folder and returns the multi-document YAML kustomize prints.
 * A failing or hanging build -> RenderError naming the folder, with kustomize's own message.
 */
export function renderKustomization(
  dir: string,
  timeoutMs: number = RENDER_TIMEOUT_MS,
): Promise<string> {
  const tool = findKustomize();
  return new Promise((resolve, reject) => {
    execFile(
      tool.command,
      [...tool.args, dir],
      { maxBuffer: 256 * 1024 * 1024, env: process.env, timeout: timeoutMs },
      (err, stdout, stderr) => {
        if (!err) {
          resolve(stdout);
          return;
        }
        if (err.killed && err.signal === 'SIGTERM') {
          reject(
            new RenderError(
              `${tool.command} ${tool.args.join(' ')} ${dir} did not finish within ${timeoutMs / 1000} s`,
              (say) =>
                `A remote resource or base (an https:// or git URL in a kustomization) may not be answering: check that this machine can reach it, or vendor it into the repository. An overlay of several thousand objects can also take this long (kustomize's time grows roughly with the square of their number): then raise ${say.option('render-timeout')}.`,
            ),
          );
          return;
        }
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          cached = undefined;
          reject(
            new ToolMissingError(tool.command, 'Install kubectl or kustomize and put it on PATH.'),
          );
          return;
        }
        const detail = hideQuotedValues(kustomizeMessage(stderr || err.message))
          .split('\n')
          .slice(0, 20)
          .join('\n  ');
        reject(
          new RenderError(
            `${tool.command} ${tool.args.join(' ')} ${dir} failed:\n  ${detail}`,
            'Fix the kustomization in that folder (or regenerate it with `mr-drift generate`).',
          ),
        );
      },
    );
  });
}

/**
 * kustomize's complaint without the logging frame around it: `kubectl kustomize` prints
 * `E1126 11:42:01.526655  23947 run.go:72] "command failed" err="accumulating ..."`, and
 * only the quoted `err` tells the user anything; standalone kustomize prefixes `Error: `.
 */
export function kustomizeMessage(stderr: string): string {
  return stderr
    .trim()
    .split('\n')
    .map((line) => {
      const klog = /^[EWIF]\d{4} [\d:.]+\s+\d+ [\w.-]+:\d+\] "[^"]*" err="(.*)"$/.exec(line);
      if (klog) return klog[1].replace(/\\(["\\])/g, '$1');
      return line.replace(/^Error: /, '');
    })
    .join('\n');
}

/**
 * kustomize's messages sometimes quote the content of the files it read: a generator's
 * literal with a typo (`invalid literal source hunter2`), a YAML key or value it could not
 * parse. That content may be a Secret's value, and a render error goes to logs and pull
 * request comments, so every such quotation is hidden; the file, line and kind of error
 * remain, which is what the reader needs to find and fix it.
 */
export function hideQuotedValues(message: string): string {
  const hidden = '(hidden: may be a secret)';
  return (
    message
      // configMapGenerator / secretGenerator `literals:`
      .replace(/literal sources \[[^\]\n]*\]/g, `literal sources [${hidden}]`)
      .replace(
        /invalid literal source .*?, expected key=value/g,
        `invalid literal source ${hidden}, expected key=value`,
      )
      // YAML parse errors that print the offending key or value
      .replace(/(invalid map key:).*$/gm, `$1 ${hidden}`)
      .replace(/`[^`\n]*`/g, `\`${hidden}\``)
      // Go values printed with their contents: map[string]interface {}{"key":"value"}
      .replace(/\{[^{}\n]*"[^{}\n]*\}/g, `{${hidden}}`)
  );
}

function onPath(name: string, path: string): boolean {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}
