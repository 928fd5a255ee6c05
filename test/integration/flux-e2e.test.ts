import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { up } from '../cluster/cluster';
import { engineContextFromDeployed, removeDeployed, rollOutPushed } from '../cluster/engine/index';
import type { Deployed } from '../cluster/engine/index';
import { flux } from '../cluster/engine/flux';
import { engineProcesses } from '../cluster/engine/runtime';
import { commitAndPush } from '../cluster/engine/workspace';
import { git } from '../cluster/git-server';
import { stopProcess } from '../cluster/processes';
import { readState } from '../cluster/state';
import { clusterInfo, describeCluster, kubectl, kubectlJson } from '../cluster/testing';
import { runGenerate } from '../../src/pipeline/run-generate';
import type { DriftReport } from '../../src/core/report/model';
import { completed, summary } from './drift-helpers';
import {
  checkDeployed,
  e2eConfig,
  IN_CLUSTER_DB_CONFIG,
  runDeploy,
  succeeded,
  waveOrderProblems,
  type E2eConfig,
  byName,
  managers,
  notInSync,
} from './engine-e2e';

/**
 * The generated tree deployed by the real Flux (source-controller v1.9.3 and
 * kustomize-controller v1.9.6 as processes, test/cluster/engine/flux.ts) onto the three
 * test regions, with the control plane making Pods ready; then the drift check judged on
 * the managedFields the real kustomize-controller wrote.
 *
 * The hub layout deploys the bundled config (CloudNativePG shards, a RedisCluster, the
 * monitoring objects: their operators do not run here, so those objects are applied and
 * compared, never acted on); the per-cluster layout deploys the in-cluster database config,
 * whose shards are StatefulSets with running Pods. Each describe uses a fresh app name and
 * removes it at the end (Flux prunes what it applied). The Flux interval is an hour: the
 * only reconciles are the deploy's and those a test asks for, as `flux reconcile` would.
 *
 * What Flux corrects at a reconcile, and what it leaves, follows kustomize-controller
 * v1.9.6 (fluxcd/pkg/ssa v0.76.2): before it applies, it hands to itself the fields of every
 * manager whose name starts with `kubectl` (so all of kubectl's commands), and of
 * `before-first-apply`, except writes through a subresource; then it applies with force.
 * So a value it applied comes back whoever changed it, and whatever kubectl added goes;
 * what another tool added (here a label written as k9s writes it) stays, and mr-drift
 * keeps reporting it.
 */

const log = (line: string): void => {
  if (process.env.MR_DRIFT_E2E_LOG) process.stderr.write(`[flux-e2e] ${line}\n`);
};

/** Waits (up to 90 s) until the Deployment has `want` ready replicas; returns the last count. */
async function readyApiReplicas(
  region: string,
  ns: string,
  name: string,
  want: number,
): Promise<number> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const dep = await kubectlJson<{ status: { readyReplicas?: number } }>(
      region,
      ['get', `deployment/${name}`],
      { namespace: ns },
    );
    const ready = dep.status.readyReplicas ?? 0;
    if (ready >= want || Date.now() > deadline) return ready;
    await sleep(2_000);
  }
}

describeCluster('Flux, hub layout: one Flux on us-east reconciles every region', () => {
  let cfg: E2eConfig;
  let first: Deployed;
  const dir = (): string => clusterInfo().clusterDir;

  beforeAll(() => {
    cfg = e2eConfig('fx');
  });

  afterAll(async () => {
    // A lost region from the last test comes back (an empty cluster) before Flux prunes.
    await up(clusterInfo().regions, 'global-setup', { dir: dir(), log });
    await removeDeployed(dir(), log).catch((err: unknown) => log(`remove: ${String(err)}`));
    cfg.dispose();
  }, 600_000);

  it('deploys the three regions wave by wave, each wave after the previous one is ready', async () => {
    const run = await runDeploy('flux', cfg, { layout: 'hub', timeoutSeconds: 420 });
    first = succeeded(run);
    log(`first deploy: ${run.seconds} s\n${run.printed.join('\n')}`);
    expect(first.complete).toBe(true);
    expect(first.regions.map((r) => [r.name, r.wave, r.phase, r.revision])).toEqual([
      ['us-east', 1, 'ready', first.git.commit],
      ['eu-west', 2, 'ready', first.git.commit],
      ['ap-southeast', 3, 'ready', first.git.commit],
    ]);
    expect(waveOrderProblems(first)).toEqual([]);
    // The printed table names each region and wave with its times.
    expect(run.printed.join('\n')).toMatch(/wave 2 \(eu-west\): started .* ready /);
    // The API runs in every region with ready Pods, applied by the real kustomize-controller.
    // Git leaves its replicas to the HPA (a minimum per region): Flux calls the Deployment
    // ready at the server's default of 1, then the HPA scales it to its minimum (there are
    // no metrics here to go higher), which the regions' controllers make ready too.
    for (const region of ['us-east', 'eu-west', 'ap-southeast']) {
      expect(await managers(region, cfg.namespace, `deployment/${cfg.app}-api`)).toContain(
        'kustomize-controller/Apply',
      );
      const hpa = await kubectlJson<{ spec: { minReplicas: number } }>(
        region,
        ['get', `horizontalpodautoscaler/${cfg.app}-api`],
        { namespace: cfg.namespace },
      );
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(
        await readyApiReplicas(region, cfg.namespace, `${cfg.app}-api`, hpa.spec.minReplicas),
        region,
      ).toBe(hpa.spec.minReplicas);
    }
    // deployed.json records the same, for other tools.
    const recorded = JSON.parse(readFileSync(join(dir(), 'deployed.json'), 'utf8')) as Deployed;
    expect(recorded).toMatchObject({
      engine: 'flux',
      layout: 'hub',
      hub: { region: 'us-east' },
      git: { commit: first.git.commit, branch: 'main' },
      complete: true,
    });
  }, 600_000);

  it('right after the sync, mr-drift check reports every region in sync, in both modes', async () => {
    for (const mode of ['server-side', 'read-only'] as const) {
      const report = await checkDeployed(first, mode);
      expect(notInSync(report), mode).toEqual({});
      expect(report.regions.map((r) => r.status)).toEqual(['in-sync', 'in-sync', 'in-sync']);
    }
  }, 300_000);

  it('hand changes: reported before Flux reconciles; after it, what Flux corrects is in sync and what it leaves is still reported', async () => {
    const r = 'eu-west';
    const ns = cfg.namespace;
    const app = cfg.app;
    const shard = `${app}-db-shard-3-eu-west`;
    const k = (args: string[], input?: string) =>
      kubectl(r, args, { namespace: ns, ...(input !== undefined ? { input } : {}) });
    await k(['set', 'image', `deployment/${app}-api`, 'api=ghcr.io/alfred/api:hotfix']);
    await k(['set', 'env', `deployment/${app}-api`, 'HOTFIX=1']);
    // A label added from k9s (its field manager): not one of kubectl's.
    await k(['label', `service/${app}-api`, 'handmade=yes', '--field-manager=k9s']);
    await k(['patch', `configmap/${app}-config`, '--type=merge', '-p', '{"data":{"HOTFIX":"on"}}']);
    await k(['delete', `poddisruptionbudget/${app}-api`]);
    // The shard's CloudNativePG Cluster scaled down by hand (its operator would follow).
    await k([
      'patch',
      `clusters.postgresql.cnpg.io/${shard}`,
      '--type=merge',
      '-p',
      '{"spec":{"instances":2}}',
    ]);
    await k(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `${app}-stray`,
          labels: { 'app.kubernetes.io/part-of': app, 'mr-drift.io/region': r },
        },
        data: { made: 'by hand' },
      }),
    );
    // A label added with kubectl's server-side apply (field manager `kubectl`).
    await k(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: `${app}-api`, labels: { 'ops-hotfix': 'cdn-bypass' } },
      }),
    );

    const api = '/spec/template/spec/containers/name=api';
    const before = {
      [`Deployment ${app}-api`]: {
        [`${api}/image`]: 'kubectl-set',
        [`${api}/env/name=HOTFIX`]: 'kubectl-set',
      },
      [`Service ${app}-api`]: { '/metadata/labels/handmade': 'k9s' },
      [`ConfigMap ${app}-config`]: { '/data/HOTFIX': 'kubectl-patch' },
      [`PodDisruptionBudget ${app}-api`]: 'missing',
      [`Cluster ${shard}`]: { '/spec/instances': 'kubectl-patch' },
      [`ConfigMap ${app}-stray`]: 'extra',
      [`Ingress ${app}-api`]: { '/metadata/labels/ops-hotfix': 'kubectl' },
    };
    // Flux puts back what it applied (image, instances, the PDB) and takes over every
    // kubectl field (the env var, the ConfigMap key and the Ingress label go); k9s's label
    // and the object Git never had stay, and are still drift.
    const after = {
      [`Service ${app}-api`]: { '/metadata/labels/handmade': 'k9s' },
      [`ConfigMap ${app}-stray`]: 'extra',
    };
    const seen = (report: DriftReport): Record<string, unknown> => {
      const region = completed(byName(report)[r]);
      return Object.fromEntries(
        summary(region.findings).map((f) => [
          `${f.kind} ${f.name}`,
          f.type === 'changed' ? f.fields : f.type,
        ]),
      );
    };

    for (const mode of ['server-side', 'read-only'] as const) {
      const report = await checkDeployed(first, mode);
      expect(seen(report), `${mode}, before Flux reconciles`).toEqual(before);
      // The other regions were not touched.
      expect(byName(report)['us-east'].status).toBe('in-sync');
    }

    const { ctx } = await engineContextFromDeployed(dir(), log);
    await flux.reconcile(ctx, [r]);

    // What Flux did, seen in the cluster.
    const dep = await kubectlJson<{
      spec: { template: { spec: { containers: { image: string; env?: { name: string }[] }[] } } };
    }>(r, ['get', `deployment/${app}-api`], { namespace: ns });
    expect(dep.spec.template.spec.containers[0].image).toBe('ghcr.io/alfred/api:1.42.0');
    expect(dep.spec.template.spec.containers[0].env?.map((e) => e.name)).not.toContain('HOTFIX');
    const config = await kubectlJson<{ data: Record<string, string> }>(
      r,
      ['get', `configmap/${app}-config`],
      { namespace: ns },
    );
    expect(config.data).not.toHaveProperty('HOTFIX');
    await k(['get', `poddisruptionbudget/${app}-api`]);
    const cluster = await kubectlJson<{ spec: { instances: number } }>(
      r,
      ['get', `clusters.postgresql.cnpg.io/${shard}`],
      { namespace: ns },
    );
    expect(cluster.spec.instances).toBe(3);
    const ingress = await kubectlJson<{ metadata: { labels?: Record<string, string> } }>(
      r,
      ['get', `ingress/${app}-api`],
      { namespace: ns },
    );
    expect(ingress.metadata.labels ?? {}).not.toHaveProperty('ops-hotfix');

    for (const mode of ['server-side', 'read-only'] as const) {
      const report = await checkDeployed(first, mode);
      expect(seen(report), `${mode}, after Flux reconciled`).toEqual(after);
    }

    // Undone by hand, the region is in sync again.
    await k(['delete', `configmap/${app}-stray`]);
    await k(['label', `service/${app}-api`, 'handmade-', '--field-manager=k9s']);
    for (const mode of ['server-side', 'read-only'] as const)
      expect(notInSync(await checkDeployed(first, mode)), `${mode}, undone`).toEqual({});
  }, 600_000);

  it('a pull request with a new image tag: the check calls it the PR change, not drift; merged, Flux rolls it out wave by wave', async () => {
    const work = first.git.workDir;
    const branch = `new-tag-${Date.now().toString(36)}`;
    await git(['checkout', '--quiet', '-b', branch], work);
    const configFile = join(work, 'mr-drift.yaml');
    const doc = parseDocument(readFileSync(configFile, 'utf8'));
    doc.setIn(['app', 'image', 'tag'], '1.43.0');
    writeFileSync(configFile, doc.toString({ lineWidth: 0 }));
    runGenerate({ configPath: configFile });
    await git(['add', '--all'], work);
    await git(['commit', '--quiet', '--no-gpg-sign', '-m', 'api 1.43.0'], work, {
      GIT_AUTHOR_NAME: 'Ada',
      GIT_AUTHOR_EMAIL: 'ada@example.invalid',
      GIT_COMMITTER_NAME: 'Ada',
      GIT_COMMITTER_EMAIL: 'ada@example.invalid',
    });

    const pr = await checkDeployed(first, 'server-side', { base: 'main' });
    for (const region of pr.regions) {
      const done = completed(region);
      expect(done.status, `${region.name}: ${JSON.stringify(summary(done.findings))}`).toBe(
        'in-sync',
      );
      expect(
        done.findings.map((f) => [f.kind, f.name, f.origin, f.fields.map((d) => d.path)]),
        region.name,
      ).toEqual([
        ['Deployment', `${cfg.app}-api`, 'pr', ['/spec/template/spec/containers/name=api/image']],
      ]);
    }

    await git(['checkout', '--quiet', 'main'], work);
    await git(['merge', '--quiet', '--ff-only', branch], work);
    const { commit } = await commitAndPush(work, 'unused: nothing left to commit');
    const printed: string[] = [];
    const merged = await rollOutPushed({
      clusterDir: dir(),
      commit,
      timeoutSeconds: 420,
      log,
      print: (l) => printed.push(l),
    });
    log(printed.join('\n'));
    expect(merged.complete).toBe(true);
    expect(merged.regions.map((r) => r.revision)).toEqual([commit, commit, commit]);
    expect(waveOrderProblems(merged)).toEqual([]);
    for (const mode of ['server-side', 'read-only'] as const) {
      expect(notInSync(await checkDeployed(merged, mode)), mode).toEqual({});
    }
    first = merged;
  }, 900_000);

  it('a region lost mid-rollout: the rollout stops there, the check reports it as an error, the regions before it complete', async () => {
    cfg.edit((d) => d.setIn(['app', 'image', 'tag'], '1.44.0'));
    const state = readState(dir());
    const lost = state.regions['eu-west'];
    let stopped: Promise<unknown> | undefined;
    const run = await runDeploy('flux', cfg, {
      layout: 'hub',
      timeoutSeconds: 120,
      onLog: (line) => {
        // As soon as wave 1 starts on the new commit, wave 2's API server goes away.
        if (!stopped && /^us-east .*started/.test(line)) stopped = stopProcess(lost.apiserver);
      },
    });
    await stopped;
    expect(stopped, 'eu-west was stopped during the rollout').toBeDefined();
    expect(run.error?.exitCode).toBe(1);
    expect(run.error?.message).toMatch(/eu-west \(wave 2\)/);
    const d = JSON.parse(readFileSync(join(dir(), 'deployed.json'), 'utf8')) as Deployed;
    const phases = Object.fromEntries(d.regions.map((r) => [r.name, r.phase]));
    expect(phases['us-east']).toBe('ready');
    expect(['failed', 'progressing']).toContain(phases['eu-west']);
    expect(phases['ap-southeast']).toBe('waiting');
    expect(d.regions.find((r) => r.name === 'ap-southeast')?.revision).toBe(first.git.commit);

    const report = byName(await checkDeployed(d, 'server-side', { timeoutMs: 5_000 }));
    expect(report['eu-west'].status).toBe('error');
    expect(report['us-east'].status).toBe('in-sync');
    // ap-southeast still runs the previous commit: the new tag is drift there, reported.
    const ap = completed(report['ap-southeast']);
    expect(ap.status).toBe('drift');
    expect(summary(ap.findings)).toEqual([
      {
        kind: 'Deployment',
        name: `${cfg.app}-api`,
        type: 'changed',
        fields: { '/spec/template/spec/containers/name=api/image': 'kustomize-controller' },
      },
    ]);
  }, 600_000);
});

describeCluster('Flux, per-cluster layout: each region runs its own Flux', () => {
  let cfg: E2eConfig;
  let deployed: Deployed;
  const dir = (): string => clusterInfo().clusterDir;

  beforeAll(() => {
    cfg = e2eConfig('fy', 'flux', IN_CLUSTER_DB_CONFIG);
  });

  afterAll(async () => {
    await removeDeployed(dir(), log).catch((err: unknown) => log(`remove: ${String(err)}`));
    cfg.dispose();
  }, 600_000);

  it('deploys every region with its own controllers, in sync in both modes', async () => {
    const run = await runDeploy('flux', cfg, { layout: 'per-cluster', timeoutSeconds: 420 });
    deployed = succeeded(run);
    log(`per-cluster deploy: ${run.seconds} s\n${run.printed.join('\n')}`);
    expect(deployed.regions.every((r) => r.phase === 'ready')).toBe(true);
    // One source-controller and one kustomize-controller per region, none left on a hub.
    const procs = engineProcesses(dir())
      .filter((p) => p.engine === 'flux')
      .map((p) => `${p.component}@${p.target}`)
      .sort();
    expect(procs).toEqual(
      ['us-east', 'eu-west', 'ap-southeast']
        .flatMap((r) => [`kustomize-controller@${r}`, `source-controller@${r}`])
        .sort(),
    );
    // The Kustomization lives in the region itself and has no kubeConfig.
    const ks = await kubectlJson<{ spec: { kubeConfig?: unknown } }>(
      'ap-southeast',
      ['get', `kustomizations.kustomize.toolkit.fluxcd.io/${cfg.app}-ap-southeast`],
      { namespace: cfg.engineNamespace },
    );
    expect(ks.spec.kubeConfig).toBeUndefined();
    for (const mode of ['server-side', 'read-only'] as const) {
      expect(notInSync(await checkDeployed(deployed, mode)), mode).toEqual({});
    }
  }, 600_000);

  it("hand changes are reported until the region's own Flux reconciles them away", async () => {
    const r = 'ap-southeast';
    const opts = { namespace: cfg.namespace };
    await kubectl(
      r,
      ['set', 'image', `deployment/${cfg.app}-api`, 'api=ghcr.io/alfred/api:hotfix'],
      opts,
    );
    // The shard's StatefulSet scaled by hand: `kubectl scale` writes as the manager `kubectl`.
    await kubectl(r, ['scale', `statefulset/${cfg.app}-db-shard-4`, '--replicas=2'], opts);
    for (const mode of ['server-side', 'read-only'] as const) {
      const before = completed(byName(await checkDeployed(deployed, mode))[r]);
      expect(summary(before.findings), mode).toEqual([
        {
          kind: 'Deployment',
          name: `${cfg.app}-api`,
          type: 'changed',
          fields: { '/spec/template/spec/containers/name=api/image': 'kubectl-set' },
        },
        {
          kind: 'StatefulSet',
          name: `${cfg.app}-db-shard-4`,
          type: 'changed',
          fields: { '/spec/replicas': 'kubectl' },
        },
      ]);
    }
    const { ctx } = await engineContextFromDeployed(dir(), log);
    await flux.reconcile(ctx, [r]);
    const sts = await kubectlJson<{ spec: { replicas: number } }>(
      r,
      ['get', `statefulset/${cfg.app}-db-shard-4`],
      opts,
    );
    expect(sts.spec.replicas).toBe(1);
    for (const mode of ['server-side', 'read-only'] as const)
      expect(notInSync(await checkDeployed(deployed, mode)), mode).toEqual({});
  }, 600_000);
});
