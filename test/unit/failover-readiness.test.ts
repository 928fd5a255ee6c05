import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/parse-config';
import { failoverReadiness } from '../../src/core/readiness/failover-readiness';
import { readinessText } from '../../src/core/readiness/readiness-text';

/** What losing each region would do, for the golden configs of each database mode. */
const golden = (name: string): string =>
  readFileSync(join(import.meta.dirname, `../golden/${name}/input/mr-drift.yaml`), 'utf8');
const production = golden('argocd-production');

describe('failover readiness', () => {
  it('cloudnative-pg: the primary region promotes, a replica region loses only a replica, single shards restore from backup', () => {
    const r = failoverReadiness(parseConfig(production, 'mr-drift.yaml'));
    const byRegion = Object.fromEntries(r.regions.map((x) => [x.region, x.shards]));
    expect(byRegion).toEqual({
      'us-east': [
        { shard: 'db-1', outcome: 'promote', to: ['eu-west'] },
        { shard: 'db-2', outcome: 'restore-from-backup' },
      ],
      'eu-west': [
        { shard: 'db-1', outcome: 'replica-lost', primary: 'us-east' },
        { shard: 'db-3', outcome: 'restore-from-backup' },
      ],
      'ap-southeast': [{ shard: 'db-4', outcome: 'restore-from-backup' }],
    });
  });

  it('after the failover PR the roles of the two regions swap', () => {
    const moved = production.replace('    db-1: us-east\n', '    db-1: eu-west\n');
    const r = failoverReadiness(parseConfig(moved, 'mr-drift.yaml'));
    expect(r.regions.find((x) => x.region === 'eu-west')!.shards[0]).toEqual({
      shard: 'db-1',
      outcome: 'promote',
      to: ['us-east'],
    });
    expect(r.regions.find((x) => x.region === 'us-east')!.shards[0]).toEqual({
      shard: 'db-1',
      outcome: 'replica-lost',
      primary: 'eu-west',
    });
  });

  it('API capacity: the other regions headroom (max - min) against the lost minimum', () => {
    // us-east 3..12, eu-west 2..8, ap-southeast 2..6.
    const r = failoverReadiness(parseConfig(production, 'mr-drift.yaml'));
    expect(r.regions.map((x) => [x.region, x.capacity])).toEqual([
      ['us-east', { lostMin: 3, othersHeadroom: 10, othersMax: 14, covered: true }],
      ['eu-west', { lostMin: 2, othersHeadroom: 13, othersMax: 18, covered: true }],
      ['ap-southeast', { lostMin: 2, othersHeadroom: 15, othersMax: 20, covered: true }],
    ]);
    const tight = production
      .replace('replicas: { min: 2, max: 8 }', 'replicas: { min: 2, max: 2 }')
      .replace('replicas: { min: 2, max: 6 }', 'replicas: { min: 2, max: 3 }');
    const t = failoverReadiness(parseConfig(tight, 'mr-drift.yaml'));
    expect(t.regions[0].capacity).toEqual({
      lostMin: 3,
      othersHeadroom: 1,
      othersMax: 5,
      covered: false,
    });
    expect(t.warnings).toContain(
      'losing us-east: the other regions can add 1 API replicas above their minimum, fewer than its minimum of 3; raise their replicas.max',
    );
  });

  it('in-cluster: every shard is lost with its region, and says why', () => {
    const r = failoverReadiness(parseConfig(golden('argocd-in-cluster'), 'mr-drift.yaml'));
    expect(r.regions[0].shards).toEqual([
      { shard: 'db-1', outcome: 'lost' },
      { shard: 'db-2', outcome: 'lost' },
    ]);
    expect(r.warnings[0]).toMatch(/losing us-east loses db-1, db-2 for good: in-cluster mode/);
  });

  it('managed: the shards are outside the region', () => {
    const r = failoverReadiness(parseConfig(golden('flux-hub-managed'), 'mr-drift.yaml'));
    expect(r.regions[0].shards[0]).toEqual({
      shard: 'db-1',
      outcome: 'external',
      endpoint: 'db-1.us-east.rds.example.com',
    });
  });

  it('backups off with the documented opt-out: the shards are reported lost', () => {
    const text = production
      .replace('  replicated: [db-1]\n', '  replicated: []\n  allowShardLoss: true\n')
      .replace('    shards: [db-1, db-3]', '    shards: [db-3]')
      .replace('      destinationPath: s3://alfred-backups/postgres\n', '      enabled: false\n');
    const r = failoverReadiness(parseConfig(text, 'mr-drift.yaml'));
    expect(r.regions[0].shards).toEqual([
      { shard: 'db-1', outcome: 'lost' },
      { shard: 'db-2', outcome: 'lost' },
    ]);
    expect(r.warnings[0]).toMatch(/allowed by database.allowShardLoss/);
  });

  it('the text names each region, each shard, the routing and the capacity', () => {
    const text = readinessText(failoverReadiness(parseConfig(production, 'mr-drift.yaml')));
    expect(text).toContain(
      '    db-1          primary here: promote eu-west (set database.primaries.db-1: eu-west)',
    );
    expect(text).toContain(
      '    db-1          a replica cluster here; the primary in us-east keeps serving',
    );
    expect(text).toMatch(/^ {2}ap-southeast\n {4}db-4 +no replica elsewhere: down until restored/m);
    expect(text).toMatch(
      /API capacity {2}the other regions can add 10 replicas above their minimum; it needs 3\n/,
    );
    expect(text).toMatch(/^warning: no global routing is configured/m);
  });
});
