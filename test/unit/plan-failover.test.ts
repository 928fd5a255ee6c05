import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadTemplates } from '../../src/adapters/templates';
import { parseConfig } from '../../src/core/config/parse-config';
import { planTree, type PlannedFile } from '../../src/core/plan/plan-tree';

/**
 * Failover is a pull request: changing one config field and regenerating must change
 * exactly the two Clusters of the shard (the new primary promoted, the old one demoted),
 * and nothing else in the tree. A planned switchover takes two such changes.
 */
const source = readFileSync(
  join(import.meta.dirname, '../golden/argocd-production/input/mr-drift.yaml'),
  'utf8',
);
const templates = loadTemplates();

function plan(text: string): Map<string, string> {
  const files = planTree(parseConfig(text, 'mr-drift.yaml'), templates, {
    configName: 'mr-drift.yaml',
  });
  return new Map(files.map((f: PlannedFile) => [f.path, f.content]));
}

/** Paths whose content differs (the generated-file record aside). */
function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  const paths = new Set([...a.keys(), ...b.keys()]);
  return [...paths].filter((p) => a.get(p) !== b.get(p) && !p.endsWith('.json')).sort();
}

interface ClusterSpec {
  replica?: { primary: string; source: string; promotionToken?: string };
  bootstrap: { initdb?: unknown; recovery?: { source: string } };
}

function cluster(files: Map<string, string>, path: string): ClusterSpec {
  const docs = parseAllDocuments(files.get(path)!).map((d) => d.toJS() as { kind: string });
  return (docs.find((d) => d.kind === 'Cluster') as unknown as { spec: ClusterSpec }).spec;
}

const EAST = 'regions/us-east/db-shard-1.yaml';
const WEST = 'regions/eu-west/db-shard-1.yaml';
const failover = (text: string) => text.replace('    db-1: us-east\n', '    db-1: eu-west\n');

describe('failover by pull request', () => {
  const before = plan(source);
  const after = plan(failover(source));

  it('changes only the two Clusters of the shard', () => {
    expect(changed(before, after)).toEqual([WEST, EAST]);
  });

  it('before: us-east is primary, eu-west a replica cluster of it', () => {
    expect(cluster(before, EAST).replica).toEqual({
      primary: 'alfred-db-shard-1-us-east',
      source: 'alfred-db-shard-1-eu-west',
    });
    expect(cluster(before, EAST).bootstrap.initdb).toBeDefined();
    expect(cluster(before, WEST).replica).toEqual({
      primary: 'alfred-db-shard-1-us-east',
      source: 'alfred-db-shard-1-us-east',
    });
    expect(cluster(before, WEST).bootstrap.recovery?.source).toBe('alfred-db-shard-1-us-east');
  });

  it('after: eu-west is promoted, us-east demoted to follow it', () => {
    expect(cluster(after, WEST).replica).toEqual({
      primary: 'alfred-db-shard-1-eu-west',
      source: 'alfred-db-shard-1-us-east',
    });
    expect(cluster(after, WEST).bootstrap.initdb).toBeDefined();
    expect(cluster(after, EAST).replica).toEqual({
      primary: 'alfred-db-shard-1-eu-west',
      source: 'alfred-db-shard-1-eu-west',
    });
    expect(cluster(after, EAST).bootstrap.recovery?.source).toBe('alfred-db-shard-1-eu-west');
  });

  it('the Service, ObjectStore and ScheduledBackup of each region stay as they are', () => {
    for (const path of [EAST, WEST]) {
      const kinds = (files: Map<string, string>) =>
        parseAllDocuments(files.get(path)!)
          .map((d) => d.toJS() as { kind: string })
          .filter((d) => d.kind !== 'Cluster');
      expect(kinds(after)).toEqual(kinds(before));
    }
  });
});

describe('planned switchover: demote, then promote with the token', () => {
  const start = plan(source);
  const demote = source.replace(
    '      retention: 14d\n',
    '      retention: 14d\n    switchover:\n      db-1: eu-west\n',
  );
  const step1 = plan(demote);
  const token = 'eyJsYXRlc3RDaGVja3BvaW50VGltZWxpbmVJRCI6MX0=';
  const promote = failover(source).replace(
    '      retention: 14d\n',
    `      retention: 14d\n    promotionTokens:\n      db-1: ${token}\n`,
  );
  const step2 = plan(promote);

  it('step 1 demotes the primary only; the target keeps following it', () => {
    expect(changed(start, step1)).toEqual([EAST]);
    expect(cluster(step1, EAST).replica).toEqual({
      primary: 'alfred-db-shard-1-eu-west',
      source: 'alfred-db-shard-1-eu-west',
    });
    expect(cluster(step1, WEST).replica?.primary).toBe('alfred-db-shard-1-us-east');
  });

  it('step 2 promotes the target with the token; the demoted side stays as it was', () => {
    // us-east's file loses only its switchover comment.
    expect(changed(step1, step2)).toEqual([WEST, EAST]);
    expect(cluster(step2, WEST).replica).toEqual({
      primary: 'alfred-db-shard-1-eu-west',
      source: 'alfred-db-shard-1-us-east',
      promotionToken: token,
    });
    const objects = (files: Map<string, string>) =>
      parseAllDocuments(files.get(EAST)!).map((d) => d.toJS() as unknown);
    expect(objects(step2)).toEqual(objects(step1));
  });
});

describe('the Redis password has one source', () => {
  it('the RedisCluster, the API and the ExternalSecret all use cache.passwordSecret', () => {
    const files = plan(source);
    const docs = (path: string): Record<string, unknown>[] =>
      parseAllDocuments(files.get(path)!).map((d) => d.toJS() as Record<string, unknown>);
    const external = docs('regions/us-east/external-secrets.yaml').find(
      (d) => (d.spec as { target: { name: string } }).target.name === 'alfred-redis-auth',
    ) as { spec: { data: { secretKey: string }[] } } | undefined;
    expect(external?.spec.data.map((d) => d.secretKey)).toEqual(['redis-password']);
    const redis = docs('regions/us-east/cache.yaml').find((d) => d.kind === 'RedisCluster') as {
      spec: { kubernetesConfig: { redisSecret: { name: string; key: string } } };
    };
    expect(redis.spec.kubernetesConfig.redisSecret).toEqual({
      name: 'alfred-redis-auth',
      key: 'redis-password',
    });
    expect(files.get('base/deployment.yaml')).toContain('name: "alfred-redis-auth"');
    // The old fixed name is gone from the whole tree.
    expect([...files.values()].some((t) => t.includes('alfred-cache-password'))).toBe(false);
  });
});
