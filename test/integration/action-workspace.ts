import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { expect } from 'vitest';
import { clusterKubeconfig, dropNamespace, kubectl, regions, uniqueName } from '../cluster/testing';
import { runStep, type StepResult } from '../support/actions-runner';
import { gitIn } from './drift-helpers';

/**
 * What the Action end-to-end tests share: a workspace holding the generated overlays
 * (overlays/regions/*), each wrapped to put it in a fresh namespace with a Secret whose
 * value the tests look for, deployed to the three real clusters as Argo CD would
 * (server-side apply as `argocd-controller`), committed to Git; and a kubeconfig for the
 * Action with a ServiceAccount token per region, bound to the mr-drift-checker ClusterRole
 * from deploy/rbac/ (least privilege, and a real bearer token whose absence from every
 * output the tests assert).
 */

export const repoRoot = new URL('../..', import.meta.url).pathname;

export interface ActionWorkspace {
  ns: string;
  /** The `app.kubernetes.io/part-of` value of this workspace's objects. */
  partOf: string;
  /** Temporary folder: the workspace, runner files, event files. */
  work: string;
  /** The Git repository the Action runs in. */
  workspace: string;
  /** The first commit: what the clusters run. */
  baseSha: string;
  /** The Secret's value in Git. */
  secretValue: string;
  /** The Action's kubeconfig (plain YAML) and the ServiceAccount tokens in it. */
  kubeconfig: string;
  saTokens: string[];
  /** The rendered overlay of a region, as kubectl kustomize builds it. */
  render(region: string): string;
  git(...args: string[]): string;
  dispose(): Promise<void>;
}

/** Builds and deploys a workspace; call `dispose()` in afterAll. */
export async function deployActionWorkspace(prefix: string): Promise<ActionWorkspace> {
  const ns = uniqueName(prefix);
  const partOf = uniqueName(`alfred-${prefix}`);
  const work = mkdtempSync(join(tmpdir(), `mr-drift-${prefix}-`));
  const workspace = join(work, 'workspace');
  const secretValue = `s3eded-${Math.random().toString(36).slice(2)}-password`;
  const bindings: Array<{ region: string; name: string }> = [];
  const git = (...args: string[]) => gitIn(workspace, ...args);
  const render = (region: string) =>
    execFileSync('kubectl', ['kustomize', join(workspace, 'overlays', 'regions', region)], {
      encoding: 'utf8',
    });

  mkdirSync(join(workspace, 'generated'), { recursive: true });
  for (const dir of ['base', 'regions']) {
    cpSync(join(repoRoot, 'overlays', dir), join(workspace, 'generated', dir), {
      recursive: true,
    });
  }
  for (const region of regions()) {
    const dir = join(workspace, 'overlays', 'regions', region);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: ns,
        resources: [`../../../generated/regions/${region}`, 'secret.yaml'],
        labels: [{ pairs: { 'app.kubernetes.io/part-of': partOf } }],
      }),
    );
    writeFileSync(
      join(dir, 'secret.yaml'),
      stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'alfred-db-credentials' },
        type: 'Opaque',
        stringData: { password: secretValue },
      }),
    );
    await kubectl(
      region,
      [
        'apply',
        '--server-side',
        '--field-manager=argocd-controller',
        '--force-conflicts',
        '-f',
        '-',
      ],
      { input: render(region) },
    );
  }
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'what the clusters run');
  const baseSha = git('rev-parse', 'HEAD');

  // A kubeconfig for the Action: each region's server and CA, a ServiceAccount token.
  const admin = parse(readFileSync(clusterKubeconfig(), 'utf8')) as {
    clusters: Array<{ name: string; cluster: Record<string, string> }>;
  };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [] as unknown[],
    users: [] as unknown[],
    contexts: [] as unknown[],
  };
  const saTokens: string[] = [];
  for (const region of regions()) {
    const cluster = admin.clusters.find((c) => c.name === region)!;
    await kubectl(region, ['create', 'serviceaccount', 'mr-drift-e2e'], { namespace: ns });
    const binding = `${ns}-checker`;
    await kubectl(region, [
      'create',
      'clusterrolebinding',
      binding,
      '--clusterrole=mr-drift-checker',
      `--serviceaccount=${ns}:mr-drift-e2e`,
    ]);
    bindings.push({ region, name: binding });
    const token = (
      await kubectl(region, ['create', 'token', 'mr-drift-e2e', '--duration=1h'], { namespace: ns })
    ).trim();
    saTokens.push(token);
    config.clusters.push({ name: `${region}-e2e`, cluster: cluster.cluster });
    config.users.push({ name: `${region}-e2e`, user: { token } });
    config.contexts.push({
      name: `${region}-e2e`,
      context: { cluster: `${region}-e2e`, user: `${region}-e2e` },
    });
  }

  return {
    ns,
    partOf,
    work,
    workspace,
    baseSha,
    secretValue,
    kubeconfig: stringify(config),
    saTokens,
    render,
    git,
    dispose: async () => {
      for (const b of bindings) {
        await kubectl(b.region, ['delete', 'clusterrolebinding', b.name, '--ignore-not-found']);
      }
      await dropNamespace(ns);
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** The `contexts` input naming each region's context in the workspace's kubeconfig. */
export function e2eContexts(): string {
  return regions()
    .map((r) => `${r}=${r}-e2e`)
    .join(',');
}

/**
 * Asserts that none of `values` appears anywhere a value could leak to: the log, the
 * annotations, raw stderr, the summary, the outputs, the JSON report, the given GitHub
 * texts (comments, issue bodies), and raw stdout apart from the runner's `::add-mask::`
 * commands.
 */
export function assertNoLeak(step: StepResult, values: string[], githubTexts: string[]): void {
  const report = step.outputs.report ? readFileSync(step.outputs.report, 'utf8') : '';
  const places: Record<string, string> = {
    log: step.log,
    annotations: JSON.stringify(step.commands),
    stderr: step.stderr,
    summary: step.summary,
    github: githubTexts.join('\n'),
    outputs: step.outputFile,
    report,
    'stdout (raw, minus add-mask commands)': step.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n'),
  };
  for (const value of values) {
    for (const [where, text] of Object.entries(places)) {
      expect(text.includes(value), `a secret value appears in ${where}`).toBe(false);
    }
  }
}

/** Runs `dist/index.js` as the runner does, with the workspace as working directory. */
export function runActionStep(
  ws: ActionWorkspace,
  env: Record<string, string>,
  inputs: Record<string, string>,
): Promise<StepResult> {
  return runStep({
    entry: join(repoRoot, 'dist', 'index.js'),
    cwd: ws.workspace,
    env,
    inputs,
  });
}
