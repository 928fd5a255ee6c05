import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/parse-config';
import { ConfigError, type Problem } from '../../src/core/errors';

/**
 * The production sections of the config (cloudnative-pg mode, failover field, backups,
 * managed read replicas, the Redis operator, monitoring): their defaults, and each rule
 * they add, with the file, line and field of the mistake. Variants are made from the
 * production golden config by replacing one piece of text.
 */
const FILE = 'mr-drift.yaml';
const base = readFileSync(
  join(import.meta.dirname, '../golden/argocd-production/input/mr-drift.yaml'),
  'utf8',
);
const managedBase = readFileSync(
  join(import.meta.dirname, '../golden/flux-hub-managed/input/mr-drift.yaml'),
  'utf8',
);

function problemsOf(text: string): Problem[] {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

/** Replaces exactly one occurrence (so a typo in the test cannot silently do nothing). */
function variant(find: string, replace: string, text = base): string {
  expect(text.split(find).length - 1, `"${find}" occurs once`).toBe(1);
  return text.replace(find, replace);
}

function lineOf(text: string, needle: string): number {
  const idx = text.indexOf(needle);
  expect(idx, needle).toBeGreaterThanOrEqual(0);
  return text.slice(0, idx).split('\n').length;
}

describe('production sections: defaults', () => {
  it('fills the CloudNativePG, backup, cache and monitoring defaults', () => {
    const c = parseConfig(base, FILE);
    expect(c.database.mode).toBe('cloudnative-pg');
    // db-1 is set explicitly; the others default to the first region listing them.
    expect(c.database.primaries).toEqual({
      'db-1': 'us-east',
      'db-2': 'us-east',
      'db-3': 'eu-west',
      'db-4': 'ap-southeast',
    });
    expect(c.database.allowShardLoss).toBe(false);
    expect(c.database.cloudnativePG).toMatchObject({
      instances: 3,
      owner: 'alfred',
      operatorNamespace: 'cnpg-system',
      resources: { cpu: '500m', memory: '1Gi', memoryLimit: '2Gi' },
      promotionTokens: {},
      backup: {
        enabled: true,
        schedule: '0 0 3 * * *',
        retention: '14d',
        credentialsSecret: 'alfred-backup-credentials',
        inheritFromIAMRole: false,
      },
    });
    expect(c.cache.passwordSecret).toEqual({ name: 'alfred-redis-auth', key: 'redis-password' });
    const noPasswordSecret = variant(
      '  passwordSecret:\n    name: alfred-redis-auth\n    key: redis-password\n',
      '',
    );
    expect(parseConfig(noPasswordSecret, FILE).cache.passwordSecret).toEqual({
      name: 'alfred-cache-password',
      key: 'password',
    });
    expect(c.cache.operatorNamespace).toBe('redis-operator');
    expect(c.monitoring).toEqual({
      labels: { release: 'kube-prometheus-stack' },
      prometheusNamespace: 'monitoring',
      scrapeInterval: '30s',
      api: {
        path: '/metrics',
        requestsMetric: 'http_requests_total',
        durationMetric: 'http_request_duration_seconds',
      },
      alerts: {
        errorRatio: 0.02,
        latencyP99Seconds: 0.75,
        replicationLagSeconds: 600,
        backupAgeHours: 26,
        for: '5m',
      },
    });
  });

  it('has no monitoring section unless the config asks for one', () => {
    const c = parseConfig(
      variant(
        'monitoring:\n  labels:\n    release: kube-prometheus-stack\n  alerts:\n    errorRatio: 0.02\n    latencyP99Seconds: 0.75\n',
        '',
      ),
      FILE,
    );
    expect(c.monitoring).toBeUndefined();
  });
});

describe('production sections: bad configs name the file, line and field', () => {
  const cases: {
    name: string;
    text: () => string;
    field: string;
    at: string;
    message: RegExp;
  }[] = [
    {
      name: 'a primary in a region that does not hold the shard',
      text: () => variant('    db-1: us-east\n', '    db-1: ap-southeast\n'),
      field: 'database.primaries.db-1',
      at: 'db-1: ap-southeast',
      message: /region "ap-southeast" does not list db-1 .* pick one of us-east, eu-west/,
    },
    {
      name: 'a primary in a region that does not exist',
      text: () => variant('    db-1: us-east\n', '    db-1: us-west\n'),
      field: 'database.primaries.db-1',
      at: 'db-1: us-west',
      message: /no region is named "us-west"/,
    },
    {
      name: 'backups on without an object store',
      text: () => variant('      destinationPath: s3://alfred-backups/postgres\n', ''),
      field: 'database.cloudnativePG.backup',
      at: '    backup:',
      message: /destinationPath is required/,
    },
    {
      name: 'a replicated shard listed in one region only',
      text: () => variant('    shards: [db-1, db-3]', '    shards: [db-3]'),
      field: 'database.replicated[0]',
      at: 'replicated: [db-1]',
      message: /db-1 is replicated but only region "us-east" lists it/,
    },
    {
      name: 'replica clusters with backups off',
      text: () =>
        variant('      destinationPath: s3://alfred-backups/postgres\n', '      enabled: false\n'),
      field: 'database.replicated[0]',
      at: 'replicated: [db-1]',
      message: /follow the primary through its WAL archive/,
    },
    {
      name: 'backups off lose the shards that have no replica',
      text: () =>
        variant(
          '  replicated: [db-1]\n',
          '  replicated: []\n',
          variant(
            '      destinationPath: s3://alfred-backups/postgres\n',
            '      enabled: false\n',
            variant('    shards: [db-1, db-3]', '    shards: [db-3]'),
          ),
        ),
      field: 'database.cloudnativePG.backup.enabled',
      at: 'enabled: false',
      message:
        /losing a region loses these shards for good .*: db-1 \(us-east\), db-2 \(us-east\), db-3 \(eu-west\), db-4 \(ap-southeast\).*allowShardLoss: true/,
    },
    {
      name: 'a promotion token for a shard with no replica',
      text: () =>
        variant(
          '      retention: 14d\n',
          '      retention: 14d\n    promotionTokens:\n      db-2: abc=\n',
        ),
      field: 'database.cloudnativePG.promotionTokens.db-2',
      at: 'db-2: abc=',
      message: /nothing to promote/,
    },
    {
      name: 'a Cluster name over 50 characters',
      text: () => variant('  - name: eu-west\n', `  - name: eu-west-${'x'.repeat(30)}\n`),
      field: 'regions[1].name',
      at: `name: eu-west-${'x'.repeat(30)}`,
      message: /CloudNativePG Cluster name "alfred-db-shard-1-eu-west-x+" would exceed 50/,
    },
    {
      name: 'a backup schedule without the seconds field',
      text: () => variant("      schedule: '0 0 3 * * *'", "      schedule: '0 3 * * *'"),
      field: 'database.cloudnativePG.backup.schedule',
      at: "schedule: '0 3 * * *'",
      message: /six fields, seconds first/,
    },
    {
      name: 'a retention CloudNativePG would refuse',
      text: () => variant('      retention: 14d', '      retention: 2 weeks'),
      field: 'database.cloudnativePG.backup.retention',
      at: 'retention: 2 weeks',
      message: /30d, 4w or 6m/,
    },
    {
      name: 'an odd number of Redis Cluster nodes',
      text: () => variant('  mode: redis-cluster\n', '  mode: redis-cluster\n  clusterNodes: 7\n'),
      field: 'cache.clusterNodes',
      at: 'clusterNodes: 7',
      message: /must be even \(got 7\); use 8/,
    },
    {
      name: 'an error ratio above 1',
      text: () => variant('    errorRatio: 0.02', '    errorRatio: 5'),
      field: 'monitoring.alerts.errorRatio',
      at: 'errorRatio: 5',
      message: /<= 1/,
    },
    {
      name: 'read endpoints outside managed mode',
      text: () =>
        variant(
          '  cloudnativePG:\n',
          '  managed:\n    readEndpoints:\n      us-east: {}\n  cloudnativePG:\n',
        ),
      field: 'database.managed.readEndpoints.us-east',
      at: 'us-east: {}',
      message: /read endpoints are for managed mode/,
    },
    {
      name: 'read endpoints of a region that does not exist',
      text: () => variant('      eu-west:\n', '      eu-north:\n', managedBase),
      field: 'database.managed.readEndpoints.eu-north',
      at: 'eu-north:',
      message: /no region is named "eu-north"/,
    },
  ];

  it.each(cases)('$name', ({ text, field, at, message }) => {
    const source = text();
    const problems = problemsOf(source);
    const match = problems.find((p) => message.test(p.message));
    expect(match, `problems were: ${JSON.stringify(problems, null, 1)}`).toBeDefined();
    expect(match!.file).toBe(FILE);
    expect(match!.line).toBe(lineOf(source, at));
    expect(match!.field).toBe(field);
  });

  it('accepts losing unreplicated shards when the config says so', () => {
    const source = variant(
      '  replicated: [db-1]\n',
      '  replicated: []\n  allowShardLoss: true\n',
      variant('      destinationPath: s3://alfred-backups/postgres\n', '      enabled: false\n'),
    );
    expect(() =>
      parseConfig(source.replace('    shards: [db-1, db-3]', '    shards: [db-3]'), FILE),
    ).not.toThrow();
  });
});
