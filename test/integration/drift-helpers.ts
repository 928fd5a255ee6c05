/**
 * Helpers for the drift-check integration tests: apply desired state the way a GitOps
 * engine does (server-side apply as `argocd-controller`), build throw-away copies of the
 * generated Alfred overlays in fresh namespaces, run the check, and snapshot
 * nonControllerWrites to prove the check never writes.
 *
 * The clusters are shared and namespaces can never be reused, so every workspace gets a
 * unique namespace and a unique `app.kubernetes.io/part-of` value (the app identity the
 * check uses to find extra objects), and its objects are deleted afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../cluster/api-client';
import { toStream } from '../cluster/corpus';
import { clusterKubeconfig, kubectl, kubectlJson, uniqueName } from '../cluster/testing';
import { runCheck } from '../../src/pipeline/run-check';
import { CLI_WORDING } from '../../src/cli/cli-wording';
import type { CheckOptions } from '../../src/pipeline/check-options';
import type {
  ComparisonMode,
  DriftReport,
  Finding,
  RegionReport,
} from '../../src/core/report/model';

/** The GitOps engine's field manager the tests apply with (Argo CD's). */
export const GITOPS_MANAGER = 'argocd-controller';
export const repoRoot = resolve(new URL('../..', import.meta.url).pathname);

/** Applies objects like Argo CD with server-side apply: as `argocd-controller`, forcing conflicts. */
export async function applyAsGitOps(region: string, objects: KubeObject[]): Promise<void> {
  if (objects.length === 0) return;
  await kubectl(
    region,
    ['apply', '--server-side', '--force-conflicts', `--field-manager=${GITOPS_MANAGER}`, '-f', '-'],
    { input: toStream(objects), timeoutMs: 300_000 },
  );
}

/** Applies CRDs first and waits until they serve, then namespaces, then the rest. */
export async function applyInOrder(region: string, objects: KubeObject[]): Promise<void> {
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  const rest = objects.filter(
    (o) => o.kind !== 'CustomResourceDefinition' && o.kind !== 'Namespace',
  );
  if (crds.length > 0) {
    await applyAsGitOps(region, crds);
    await kubectl(region, [
      'wait',
      '--for=condition=Established',
      '--timeout=120s',
      ...crds.map((c) => `crd/${c.metadata.name}`),
    ]);
  }
  await applyAsGitOps(region, namespaces);
  await applyAsGitOps(region, rest);
}

/** Deletes the objects (not CRDs: other runs share them) without waiting. */
export async function deleteObjects(region: string, objects: KubeObject[]): Promise<void> {
  const own = objects.filter((o) => o.kind !== 'CustomResourceDefinition');
  if (own.length === 0) return;
  await kubectl(region, ['delete', '--ignore-not-found', '--wait=false', '-f', '-'], {
    input: toStream(own),
    timeoutMs: 300_000,
  });
}

/** Field managers of the test regions' own control plane (they write all the time). */
const CONTROL_PLANE_MANAGERS = /^(kube-controller-manager|kube-scheduler|kwok)/;

/**
 * `kind/namespace/name` -> what every write by someone other than the regions' own
 * controllers has left on the object: its uid (a delete and re-create changes it) and its
 * managedFields entries, each with manager, operation, time and fields, except the
 * control plane's and status writes. A check that wrote anything (an apply, a patch, a
 * re-create) changes this; the controller-manager updating a Deployment's status, or the
 * HPA scaling it, does not. (resourceVersion cannot tell them apart now that the regions
 * run controllers.)
 */
export async function nonControllerWrites(
  region: string,
  objects: KubeObject[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const list = await kubectlJson<{ items: KubeObject[] }>(
    region,
    ['get', '--ignore-not-found', '-f', '-'],
    {
      input: toStream(objects),
    },
  );
  for (const o of list.items ?? []) {
    const entries = ((o.metadata.managedFields ?? []) as Array<Record<string, unknown>>)
      .filter((e) => e.subresource !== 'status')
      .filter((e) => !CONTROL_PLANE_MANAGERS.test(String(e.manager)))
      .map((e) => JSON.stringify([e.manager, e.operation, e.subresource ?? '', e.time, e.fieldsV1]))
      .sort();
    out.set(
      `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`,
      JSON.stringify([o.metadata.uid, entries]),
    );
  }
  return out;
}

/**
 * Gives the corpus's app identity labels a unique value, so objects other runs left in
 * the shared clusters never look like this run's extra objects. CRDs keep theirs: they are
 * shared between runs and do not define the app identity.
 */
export function uniqueIdentity(objects: KubeObject[], suffix: string): KubeObject[] {
  return objects.map((o) => {
    if (o.kind === 'CustomResourceDefinition') return o;
    const copy = structuredClone(o);
    const labels = copy.metadata.labels as Record<string, string> | undefined;
    for (const key of ['app.kubernetes.io/part-of', 'app.kubernetes.io/instance']) {
      if (labels?.[key]) labels[key] = `${labels[key]}-${suffix}`;
    }
    return copy;
  });
}

/** Parses multi-document YAML (kustomize output) into objects. */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

/** A temporary folder removed by `dispose`. */
export function tempDir(prefix: string): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `mr-drift-${prefix}-`));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A throw-away copy of the generated Alfred overlays (overlays/regions/<region>). */
export interface AlfredWorkspace {
  /** Overlays tree: `<dir>/regions/<region>/kustomization.yaml`, usable as `--path`. */
  dir: string;
  namespace: string;
  /** Unique `app.kubernetes.io/part-of` value of this copy. */
  app: string;
  /** The rendered objects of a region (real kustomize). */
  objects: (region: string) => KubeObject[];
  dispose: () => void;
}

/**
 * Wraps each region's generated overlay in a kustomization that moves it into a fresh
 * namespace and gives it a unique app identity, plus `extra` manifests (e.g. a Secret).
 * Kustomize does the moving, exactly as it renders the overlay itself.
 */
export function alfredWorkspace(
  regions: string[],
  extra: Record<string, unknown>[] = [],
): AlfredWorkspace {
  const { dir, dispose } = tempDir('alfred');
  const namespace = uniqueName('drift-alfred');
  const app = `alfred-${namespace.slice('drift-alfred-'.length)}`;
  const rendered = new Map<string, KubeObject[]>();
  for (const region of regions) {
    const rdir = join(dir, 'regions', region);
    mkdirSync(rdir, { recursive: true });
    if (extra.length > 0)
      writeFileSync(join(rdir, 'extra.yaml'), extra.map((o) => JSON.stringify(o)).join('\n---\n'));
    writeFileSync(
      join(rdir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `namespace: ${namespace}`,
        'resources:',
        // kustomize refuses absolute paths to other kustomizations.
        `  - ${relative(rdir, join(repoRoot, 'overlays', 'regions', region))}`,
        ...(extra.length > 0 ? ['  - extra.yaml'] : []),
        'labels:',
        '  - pairs:',
        `      app.kubernetes.io/part-of: ${app}`,
        '    includeSelectors: false',
        '    includeTemplates: false',
        '',
      ].join('\n'),
    );
    rendered.set(
      region,
      parseObjects(execFileSync('kubectl', ['kustomize', rdir], { encoding: 'utf8' })),
    );
  }
  return { dir, namespace, app, objects: (r) => rendered.get(r)!, dispose };
}

/** Runs the check in-process against the harness's clusters. */
export function check(
  path: string,
  regions: string[],
  mode: ComparisonMode,
  extra: Partial<CheckOptions> = {},
): Promise<DriftReport> {
  // In the CLI's words, as the tests that spawn the CLI read them.
  return runCheck({
    path,
    regions,
    mode,
    kubeconfig: clusterKubeconfig(),
    wording: CLI_WORDING,
    ...extra,
  });
}

/** A finding reduced to what the tests compare: kind/name, type and field path -> manager. */
export function summary(findings: Finding[]): Array<{
  kind: string;
  name: string;
  type: string;
  fields: Record<string, string>;
  createdBy?: string;
}> {
  return findings.map((f) => ({
    kind: f.kind,
    name: f.name,
    type: f.type,
    fields: Object.fromEntries(f.fields.map((d) => [d.path, d.manager ?? '(none)'])),
    // An extra object names its maker, as a changed field names its manager.
    ...(f.createdBy ? { createdBy: f.createdBy.manager } : {}),
  }));
}

/** Throws with the region's error text when it did not complete, so a failure says why. */
export function completed(region: RegionReport): RegionReport {
  if (region.status === 'error') throw new Error(`region ${region.name} failed: ${region.error}`);
  return region;
}

/** Runs git in `cwd` with a fixed author and committer, so commits never depend on the machine's git config. */
export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Ada',
      GIT_AUTHOR_EMAIL: 'ada@example.invalid',
      GIT_COMMITTER_NAME: 'Ada',
      GIT_COMMITTER_EMAIL: 'ada@example.invalid',
    },
  }).trim();
}

/** Result of running the CLI as a child process. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mr-drift` (the TypeScript entry through tsx) with the given arguments. */
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd: string = repoRoot,
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      // tsx by path: `--import tsx` would be resolved from `cwd`, which may be anywhere.
      ['--import', tsxLoader, join(repoRoot, 'src/cli/main.ts'), ...args],
      {
        cwd,
        env: { ...process.env, NO_COLOR: '1', ...env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
