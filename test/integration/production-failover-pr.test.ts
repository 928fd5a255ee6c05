import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderKustomization } from '../../src/adapters/kustomize';
import type { DriftReport, Finding } from '../../src/core/report/model';
import type { KubeObject } from '../cluster/api-client';
import { describeCluster, dropNamespace } from '../cluster/testing';
import {
  applyAsGitOps,
  deleteObjects,
  gitIn,
  parseObjects,
  nonControllerWrites,
  runCli,
  tempDir,
} from './drift-helpers';

/**
 * Failover is a pull request (issue 11, item 3), proven on the real API servers: the tree
 * of a config whose shard db-1 has its primary in us-east and a replica cluster in eu-west
 * is generated, committed and applied to both regions as Argo CD applies it. The pull
 * request changes one line, `database.primaries.db-1: eu-west`, and regenerates. The drift
 * check on the PR (`--base` = the deployed commit) against the live regions must show the
 * promotion of eu-west's Cluster and the demotion of us-east's as the PR's own change
 * (origin `pr`, exit 0), and nothing else, in both modes.
 */

const REGIONS = ['us-east', 'eu-west'];

let repo: { dir: string; dispose: () => void };
let app: string;
let baseCommit: string;
const applied = new Map<string, KubeObject[]>();

const git = (...args: string[]): string => gitIn(repo.dir, ...args);

function config(primary: string): string {
  return `app:
  name: ${app}
  namespace: ${app}
  image: { repository: ghcr.io/alfred/api, tag: '1.42.0' }
gitops:
  engine: argocd
  repoURL: https://github.com/alfred/deploy.git
  revision: main
  path: overlays
  argocd: { project: ${app} }
database:
  shardKey: org
  shards: 2
  mode: cloudnative-pg
  replicated: [db-1]
  primaries:
    db-1: ${primary}
  cloudnativePG:
    instances: 2
    backup:
      destinationPath: s3://alfred-backups/postgres
cache:
  mode: region-local
regions:
  - name: us-east
    cluster: { server: https://us-east.k8s.example.com }
    replicas: { min: 2, max: 6 }
    wave: 1
    host: us-east.${app}.example.com
    shards: [db-1, db-2]
  - name: eu-west
    cluster: { server: https://eu-west.k8s.example.com }
    replicas: { min: 2, max: 6 }
    wave: 2
    host: eu-west.${app}.example.com
    shards: [db-1]
`;
}

async function generate(primary: string): Promise<void> {
  writeFileSync(join(repo.dir, 'mr-drift.yaml'), config(primary));
  const res = await runCli(['generate', '--config', join(repo.dir, 'mr-drift.yaml')]);
  expect(res.code, res.stdout + res.stderr).toBe(0);
}

function commit(message: string): string {
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
}

interface ReplicaSpec {
  primary: string;
  source: string;
}

function clusterSpec(region: string): { replica: ReplicaSpec } {
  const file = join(repo.dir, 'overlays', 'regions', region, 'db-shard-1.yaml');
  const cluster = parseObjects(readFileSync(file, 'utf8')).find((o) => o.kind === 'Cluster');
  return (cluster as unknown as { spec: { replica: ReplicaSpec } }).spec;
}

/** `changed Kind/name` -> field path -> origin. */
function origins(findings: Finding[]): Record<string, Record<string, string>> {
  return Object.fromEntries(
    findings.map((f) => [
      `${f.type} ${f.kind}/${f.name}`,
      Object.fromEntries(f.fields.map((d) => [d.path, d.origin ?? '(none)'])),
    ]),
  );
}

describeCluster('failover by pull request on the real API servers (issue 11)', () => {
  beforeAll(async () => {
    app = `fo${randomBytes(3).toString('hex')}`;
    repo = tempDir('failover-pr');
    git('init', '-q', '-b', 'main');
    await generate('us-east');
    baseCommit = commit('base: db-1 written in us-east, replicated to eu-west');
    for (const region of REGIONS) {
      const objects = parseObjects(
        await renderKustomization(join(repo.dir, 'overlays', 'regions', region)),
      );
      await applyAsGitOps(region, objects);
      applied.set(region, objects);
    }
    // The pull request: one line of the config, then the generator.
    await generate('eu-west');
    commit('PR: fail db-1 over to eu-west');
  }, 600_000);

  afterAll(async () => {
    for (const [region, objects] of applied) await deleteObjects(region, objects);
    if (app) await dropNamespace(app, REGIONS);
    repo?.dispose();
  });

  it("the PR's diff is the promotion and the demotion, nothing else", () => {
    const changed = git('diff', '--name-only', baseCommit, 'HEAD').split('\n').sort();
    expect(changed).toEqual([
      'mr-drift.yaml',
      'overlays/regions/eu-west/db-shard-1.yaml',
      'overlays/regions/us-east/db-shard-1.yaml',
    ]);
    const east = `${app}-db-shard-1-us-east`;
    const west = `${app}-db-shard-1-eu-west`;
    expect(clusterSpec('eu-west').replica).toMatchObject({ primary: west });
    expect(clusterSpec('us-east').replica).toMatchObject({ primary: west, source: west });
    expect(git('show', `${baseCommit}:overlays/regions/us-east/db-shard-1.yaml`)).toContain(
      `primary: "${east}"`,
    );
  });

  it.each(['server-side', 'read-only'])(
    '%s: check --base shows the promotion as the PR’s change (exit 0), and writes nothing',
    async (mode) => {
      // Controllers of the control plane write the status of Deployments, HPAs, PDBs and
      // Ingresses at any time; nothing here reconciles the Clusters, so theirs must not move.
      const clusters = (r: string) => applied.get(r)!.filter((o) => o.kind === 'Cluster');
      const before = new Map<string, Map<string, string>>();
      for (const r of REGIONS) before.set(r, await nonControllerWrites(r, clusters(r)));
      const res = await runCli(
        [
          'check',
          '--path',
          'overlays',
          '--regions',
          REGIONS.join(','),
          '--mode',
          mode,
          '--base',
          baseCommit,
          '--output',
          'json',
          '--no-progress',
        ],
        {},
        repo.dir,
      );
      expect(res.stderr).toBe('');
      expect(res.code, res.stdout.slice(0, 3000)).toBe(0);
      const report = JSON.parse(res.stdout) as DriftReport;
      const byRegion = new Map(report.regions.map((r) => [r.name, r]));
      const east = byRegion.get('us-east')!;
      const west = byRegion.get('eu-west')!;
      expect(east.error).toBeUndefined();
      expect(west.error).toBeUndefined();

      // Only the shard's two Clusters differ, and every difference is the PR's.
      const eastFields = origins(east.findings);
      const westFields = origins(west.findings);
      expect(Object.keys(eastFields)).toEqual([`changed Cluster/${app}-db-shard-1-us-east`]);
      expect(Object.keys(westFields)).toEqual([`changed Cluster/${app}-db-shard-1-eu-west`]);
      const demoted = Object.values(eastFields)[0];
      const promoted = Object.values(westFields)[0];
      expect(new Set([...Object.values(demoted), ...Object.values(promoted)])).toEqual(
        new Set(['pr']),
      );
      expect(Object.keys(demoted)).toContain('/spec/replica/primary');
      expect(Object.keys(promoted)).toContain('/spec/replica/primary');

      // The values a reviewer reads: who is primary now, who after the merge.
      const primaryField = (f: Finding[]) =>
        f[0].fields.find((d) => d.path === '/spec/replica/primary');
      expect(primaryField(east.findings)).toMatchObject({
        live: `${app}-db-shard-1-us-east`,
        desired: `${app}-db-shard-1-eu-west`,
      });
      expect(primaryField(west.findings)).toMatchObject({
        live: `${app}-db-shard-1-us-east`,
        desired: `${app}-db-shard-1-eu-west`,
      });
      // Only the PR's changes: both regions count as in sync.
      expect(east.status).toBe('in-sync');
      expect(west.status).toBe('in-sync');

      for (const r of REGIONS) {
        expect(before.get(r)!.size).toBe(clusters(r).length);
        expect(await nonControllerWrites(r, clusters(r))).toEqual(before.get(r));
      }
    },
    300_000,
  );
});
