import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs a JavaScript action entry the way the GitHub Actions runner does: inputs as
 * `INPUT_<NAME>` variables (upper-cased, spaces to underscores, hyphens kept), fresh
 * GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files for the step, saved state
 * handed to the post step as `STATE_<name>`, and stdout read for workflow commands:
 * `::add-mask::` registers a mask that the runner applies to every later line (the
 * command line itself is never shown), `::warning …::` and `::error …::` become
 * annotations. The environment holds only what the step is given (no KUBECONFIG leaking
 * in from the test process).
 */
export interface StepOptions {
  /** Absolute path of the entry (dist/index.js or dist/post.js). */
  entry: string;
  cwd: string;
  inputs?: Record<string, string>;
  /** GITHUB_* and RUNNER_* variables, and anything else the step should see. */
  env: Record<string, string>;
  /** State saved by the main step, for the post step. */
  state?: Record<string, string>;
  timeoutMs?: number;
}

export interface WorkflowCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
}

export interface StepResult {
  exitCode: number | null;
  /** Raw stdout, as the process wrote it (including `::add-mask::` commands). */
  stdout: string;
  stderr: string;
  /** The step's log as the runner shows it: commands removed, masks applied. */
  log: string;
  masks: string[];
  /** Workflow commands other than add-mask, with masks applied to their text. */
  commands: WorkflowCommand[];
  outputs: Record<string, string>;
  summary: string;
  /** State saved with `saveState`, for a post step. */
  state: Record<string, string>;
  /** Raw text of the GITHUB_OUTPUT file. */
  outputFile: string;
}

/** Runs one step and returns what the runner would record of it. */
export async function runStep(options: StepOptions): Promise<StepResult> {
  const files = mkdtempSync(join(options.env.RUNNER_TEMP ?? '/tmp', 'runner-files-'));
  const outputPath = join(files, 'output');
  const summaryPath = join(files, 'summary');
  const statePath = join(files, 'state');
  for (const f of [outputPath, summaryPath, statePath]) writeFileSync(f, '');

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...options.env,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_STATE: statePath,
  };
  for (const [name, value] of Object.entries(options.inputs ?? {})) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;

  const child = spawn(process.execPath, [options.entry], { cwd: options.cwd, env, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`step ${options.entry} timed out`));
    }, options.timeoutMs ?? 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });

  const { log, masks, commands } = readLog(stdout);
  const outputFile = readFileSync(outputPath, 'utf8');
  return {
    exitCode,
    stdout,
    stderr,
    log,
    masks,
    commands,
    outputs: parseFileCommand(outputFile),
    summary: readFileSync(summaryPath, 'utf8'),
    state: parseFileCommand(readFileSync(statePath, 'utf8')),
    outputFile,
  };
}

/** Reads stdout as the runner does: commands out, masks applied to everything shown. */
export function readLog(stdout: string): {
  log: string;
  masks: string[];
  commands: WorkflowCommand[];
} {
  const masks: string[] = [];
  const shown: string[] = [];
  const commands: WorkflowCommand[] = [];
  const mask = (text: string) => masks.reduce((t, m) => (m ? t.split(m).join('***') : t), text);
  for (const line of stdout.split('\n')) {
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) {
      shown.push(mask(line));
      continue;
    }
    const data = unescapeData(m[3]);
    if (m[1] === 'add-mask') {
      masks.push(data);
      continue;
    }
    const properties: Record<string, string> = {};
    for (const p of (m[2] ?? '').split(',').filter(Boolean)) {
      const eq = p.indexOf('=');
      properties[p.slice(0, eq)] = unescapeProperty(p.slice(eq + 1));
    }
    const cmd = { name: m[1], properties, data: mask(data) };
    commands.push(cmd);
    shown.push(`${cmd.name}: ${cmd.data}`);
  }
  return { log: shown.join('\n'), masks, commands };
}

/** Parses GITHUB_OUTPUT / GITHUB_STATE (`name<<DELIM` blocks, or `name=value` lines). */
export function parseFileCommand(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]);
      out[name] = value.join('\n');
    } else if (line.includes('=')) {
      const eq = line.indexOf('=');
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function unescapeProperty(s: string): string {
  return unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');
}
