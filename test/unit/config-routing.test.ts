import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadTemplates } from '../../src/adapters/templates';
import { parseConfig } from '../../src/core/config/parse-config';
import type { Config } from '../../src/core/config/types';
import { ConfigError, type Problem } from '../../src/core/errors';
import { planTree } from '../../src/core/plan/plan-tree';
import { routingOnRegionLoss } from '../../src/core/readiness/routing';

/**
 * Global routing and secrets: the config rules (each bad config names file, line and
 * field), how regions[].traffic reaches every provider's objects, and what losing a region
 * does to the global host. Configs are variants of the bundled one, one edit each.
 */
const bundled = readFileSync(join(import.meta.dirname, '../../mr-drift.yaml'), 'utf8');
const FILE = 'mr-drift.yaml';
const templates = loadTemplates();
/** Each region's `routing: { awsRegion: ... }` line of the bundled config. */
const REGION_ROUTING = /\n {4}routing: \{ awsRegion: [a-z0-9-]+ \}/g;

/** Replaces exactly one occurrence (so a typo in the test cannot silently do nothing). */
function variant(find: string | RegExp, replace: string, text = bundled): string {
  const count =
    typeof find === 'string'
      ? text.split(find).length - 1
      : (text.match(new RegExp(find, 'g')) ?? []).length;
  expect(count, `"${String(find)}" occurs once in the config`).toBe(1);
  return text.replace(find, replace);
}

/** The bundled config with its routing section replaced. */
function withRouting(section: string, text = bundled): string {
  return variant(/\nrouting:\n[\s\S]*?\n\n/, `\nrouting:\n${section}\n\n`, text);
}

/** Sets regions[i].traffic (the bundled config has `traffic: 100` on each region). */
function withTraffic(values: number[], text = bundled): string {
  let i = 0;
  const out = text.replace(/traffic: 100/g, (m) =>
    i < values.length ? `traffic: ${values[i++]}` : m,
  );
  expect(i).toBe(values.length);
  return out;
}

function problemsOf(text: string): Problem[] {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

function lineOf(text: string, needle: string): number {
  const idx = text.indexOf(needle);
  expect(idx, needle).toBeGreaterThanOrEqual(0);
  return text.slice(0, idx).split('\n').length;
}

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

/** Every object the tree's files hold, by path (templates are rendered, not kustomize-built). */
function objectsOf(config: Config): Map<string, Obj[]> {
  const out = new Map<string, Obj[]>();
  for (const f of planTree(config, templates, { configName: FILE })) {
    if (!f.path.endsWith('.yaml')) continue;
    out.set(
      f.path,
      parseAllDocuments(f.content)
        .map((d) => d.toJS() as Obj | null)
        .filter((o): o is Obj => o !== null && typeof o === 'object' && 'kind' in o),
    );
  }
  return out;
}

const kind = (objs: Map<string, Obj[]>, path: string, k: string): Obj | undefined =>
  objs.get(path)?.find((o) => o.kind === k);

describe('the bundled config: external-dns routing and External Secrets', () => {
  it('parses with every routing and secrets default', () => {
    const c = parseConfig(bundled, FILE);
    expect(c.routing).toMatchObject({
      provider: 'external-dns',
      host: 'alfred.example.com',
      healthCheck: { path: '/readyz', scheme: 'https', intervalSeconds: 60, unhealthyThreshold: 3 },
      externalDns: { policy: 'latency', ttl: 60, evaluateTargetHealth: true },
      k8gb: { strategy: 'roundRobin', dnsTtlSeconds: 30 },
    });
    expect(c.secrets?.externalSecrets).toEqual({
      store: { kind: 'ClusterSecretStore', name: 'alfred-secrets' },
      refreshInterval: '1h',
      remoteKeys: {
        database: 'alfred/{{region}}/db',
        cache: 'alfred/{{region}}/redis',
        kubeconfig: '{{app}}/{{region}}/kubeconfig',
      },
    });
    expect(c.regions.map((r) => r.traffic)).toEqual([100, 100, 100]);
  });

  it('each region gets its record, the global Ingress and ExternalSecrets with its own keys', () => {
    const objs = objectsOf(parseConfig(bundled, FILE));
    for (const [region, aws] of [
      ['us-east', 'us-east-1'],
      ['eu-west', 'eu-west-1'],
      ['ap-southeast', 'ap-southeast-1'],
    ]) {
      const dns = kind(objs, `regions/${region}/routing.yaml`, 'DNSEndpoint')!;
      expect(dns.spec.endpoints).toEqual([
        {
          dnsName: 'alfred.example.com',
          recordType: 'CNAME',
          recordTTL: 60,
          setIdentifier: region,
          targets: [`${region}.alfred.example.com`],
          providerSpecific: [
            { name: 'aws/region', value: aws },
            { name: 'alias', value: 'true' },
            { name: 'aws/evaluate-target-health', value: 'true' },
          ],
        },
      ]);
      const ingress = kind(objs, `regions/${region}/ingress-global.yaml`, 'Ingress')!;
      expect((ingress.spec.rules as { host: string }[]).map((r) => r.host)).toEqual([
        'alfred.example.com',
      ]);
      const secrets = objs.get(`regions/${region}/external-secrets.yaml`)!;
      expect(secrets.map((o) => [o.kind, o.metadata.name])).toEqual([
        ['ExternalSecret', 'alfred-db-credentials'],
        ['ExternalSecret', 'alfred-cache-password'],
      ]);
      const keys = secrets.flatMap((o) =>
        (o.spec.data as { remoteRef: { key: string; property: string } }[]).map(
          (d) => `${d.remoteRef.key}#${d.remoteRef.property}`,
        ),
      );
      expect(keys).toEqual([
        `alfred/${region}/db#username`,
        `alfred/${region}/db#password`,
        `alfred/${region}/redis#password`,
      ]);
    }
  });
});

describe('traffic 0..100 reaches every provider', () => {
  it('external-dns latency: a drained region loses its record, keeps its global Ingress', () => {
    const objs = objectsOf(parseConfig(withTraffic([100, 0]), FILE));
    expect(objs.has('regions/eu-west/routing.yaml')).toBe(false);
    expect(kind(objs, 'regions/eu-west/ingress-global.yaml', 'Ingress')).toBeDefined();
    expect(kind(objs, 'regions/us-east/routing.yaml', 'DNSEndpoint')).toBeDefined();
  });

  it('external-dns weighted: aws/weight is the traffic, 0 included', () => {
    const text = withTraffic(
      [100, 0, 25],
      withRouting(
        '  provider: external-dns\n  host: alfred.example.com\n  externalDns:\n    policy: weighted',
      ),
    );
    const objs = objectsOf(parseConfig(text, FILE));
    const weight = (r: string): string | undefined =>
      (
        kind(objs, `regions/${r}/routing.yaml`, 'DNSEndpoint')!.spec.endpoints as {
          providerSpecific: { name: string; value: string }[];
        }[]
      )[0].providerSpecific.find((p) => p.name === 'aws/weight')?.value;
    expect(['us-east', 'eu-west', 'ap-southeast'].map(weight)).toEqual(['100', '0', '25']);
  });

  it('external-dns failover: the first two undrained regions are PRIMARY and SECONDARY', () => {
    const text = withTraffic(
      [0],
      withRouting(
        '  provider: external-dns\n  host: alfred.example.com\n  externalDns:\n    policy: failover\n    evaluateTargetHealth: false',
      ),
    );
    const objs = objectsOf(parseConfig(text, FILE));
    const role = (r: string): string | undefined =>
      (
        kind(objs, `regions/${r}/routing.yaml`, 'DNSEndpoint')?.spec.endpoints as
          { providerSpecific: { name: string; value: string }[] }[] | undefined
      )?.[0].providerSpecific.find((p) => p.name === 'aws/failover')?.value;
    expect(['us-east', 'eu-west', 'ap-southeast'].map(role)).toEqual([
      undefined,
      'PRIMARY',
      'SECONDARY',
    ]);
  });

  it('k8gb roundRobin: the weight map holds every geo tag with its traffic', () => {
    const text = withTraffic(
      [100, 0, 40],
      withRouting('  provider: k8gb\n  host: alfred.gslb.example.com'),
    );
    const objs = objectsOf(parseConfig(text.replace(REGION_ROUTING, ''), FILE));
    for (const r of ['us-east', 'eu-west', 'ap-southeast']) {
      const gslb = kind(objs, `regions/${r}/routing.yaml`, 'Gslb')!;
      expect(gslb.spec.strategy).toEqual({
        type: 'roundRobin',
        dnsTtlSeconds: 30,
        weight: { 'us-east': 100, 'eu-west': 0, 'ap-southeast': 40 },
      });
      expect(gslb.spec.resourceRef).toEqual({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: 'alfred-api-global',
      });
    }
  });

  it('k8gb failover: a drained primary hands over to the next region of the failover order', () => {
    const k8gb = (primary: string): string =>
      withRouting(
        `  provider: k8gb\n  host: alfred.gslb.example.com\n  primaryRegion: ${primary}\n  k8gb:\n    strategy: failover`,
      ).replace(REGION_ROUTING, '');
    const primaryTag = (text: string): unknown =>
      (
        kind(objectsOf(parseConfig(text, FILE)), 'regions/us-east/routing.yaml', 'Gslb')!.spec
          .strategy as { primaryGeoTag?: string }
      ).primaryGeoTag;
    expect(primaryTag(k8gb('eu-west'))).toBe('eu-west');
    expect(primaryTag(withTraffic([100, 0], k8gb('eu-west')))).toBe('us-east');
  });

  it('aws-global-accelerator: trafficDialPercentage is the traffic of each endpoint group', () => {
    const text = withTraffic(
      [100, 0, 60],
      withRouting('  provider: aws-global-accelerator\n  host: alfred.example.com'),
    )
      .replace(
        'routing: { awsRegion: eu-west-1 }',
        'routing: { awsRegion: eu-west-1, endpointId: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/a/1" }',
      )
      .replace(
        'routing: { awsRegion: ap-southeast-1 }',
        'routing: { awsRegion: ap-southeast-1, endpointId: "arn:aws:elasticloadbalancing:ap-southeast-1:123456789012:loadbalancer/net/b/2" }',
      );
    const objs = objectsOf(parseConfig(text, FILE));
    // One accelerator, in the home region (the first region by wave) only.
    expect(objs.has('regions/eu-west/routing.yaml')).toBe(false);
    const aga = kind(objs, 'regions/us-east/routing.yaml', 'GlobalAccelerator')!;
    const groups = (aga.spec.listeners as { endpointGroups: Record<string, unknown>[] }[])[0]
      .endpointGroups;
    expect(groups.map((g) => [g.region, g.trafficDialPercentage])).toEqual([
      ['us-east-1', 100],
      ['eu-west-1', 0],
      ['ap-southeast-1', 60],
    ]);
    expect(groups[0].endpoints).toEqual([{ type: 'Ingress', name: 'alfred-api-global' }]);
    expect((groups[1].endpoints as { type: string }[])[0].type).toBe('EndpointID');
  });

  it('cloudflare: 0 disables the pool, a partial drain sheds the rest; no LoadBalancer without pool IDs', () => {
    const text = withTraffic(
      [100, 0, 70],
      withRouting(
        '  provider: cloudflare\n  host: alfred.example.com\n  cloudflare:\n    accountId: 0123456789abcdef0123456789abcdef\n    zoneId: fedcba9876543210fedcba9876543210',
      ),
    ).replace(REGION_ROUTING, '');
    const objs = objectsOf(parseConfig(text, FILE));
    const pools = objs
      .get('regions/us-east/routing.yaml')!
      .filter((o) => o.kind === 'LoadBalancerPool');
    expect(
      pools.map((p) => {
        const f = p.spec.forProvider as { enabled: boolean; loadShedding?: unknown };
        return [p.metadata.name, f.enabled, f.loadShedding];
      }),
    ).toEqual([
      ['alfred-us-east', true, undefined],
      ['alfred-eu-west', false, undefined],
      ['alfred-ap-southeast', true, { defaultPercent: 30, defaultPolicy: 'random' }],
    ]);
    expect(kind(objs, 'regions/us-east/routing.yaml', 'LoadBalancer')).toBeUndefined();
    expect(kind(objs, 'regions/us-east/routing.yaml', 'LoadBalancerMonitor')).toBeDefined();
  });
});

describe('bad routing and secrets configs: file, line, field and what to do', () => {
  const cases: { name: string; text: () => string; field: string; at: string; message: RegExp }[] =
    [
      {
        name: 'traffic without routing',
        text: () => withTraffic([50], bundled.replace(/\nrouting:\n[\s\S]*?\n\n/, '\n\n')),
        field: 'regions[0].traffic',
        at: 'traffic: 50',
        message: /only applies with global routing/,
      },
      {
        name: 'unknown primary region',
        text: () =>
          variant(
            '  host: alfred.example.com\n',
            '  host: alfred.example.com\n  primaryRegion: mars\n',
          ),
        field: 'routing.primaryRegion',
        at: 'primaryRegion: mars',
        message: /no region is named "mars"; expected one of "us-east"/,
      },
      {
        name: 'global host equals a region host',
        text: () => variant('  host: alfred.example.com\n', '  host: eu-west.alfred.example.com\n'),
        field: 'routing.host',
        at: '  host: eu-west.alfred.example.com\n  externalDns',
        message: /also the host of region "eu-west"/,
      },
      {
        name: 'every region drained',
        text: () => withTraffic([0, 0, 0]),
        field: 'regions[0].traffic',
        at: 'traffic: 0',
        message: /at least one region must take traffic/,
      },
      {
        name: 'latency records cannot split traffic',
        text: () => withTraffic([100, 30]),
        field: 'regions[1].traffic',
        at: 'traffic: 30',
        message: /expected 0 or 100: Route 53 latency records carry no weight.*policy weighted/,
      },
      {
        name: 'latency needs the AWS region',
        text: () => variant(' '.repeat(4) + 'routing: { awsRegion: eu-west-1 }\n', ''),
        field: 'regions[1].routing',
        at: '  - name: eu-west',
        message: /set routing.awsRegion/,
      },
      {
        name: 'a region field the provider ignores',
        text: () =>
          variant(
            'routing: { awsRegion: eu-west-1 }',
            'routing: { awsRegion: eu-west-1, geoTag: eu }',
          ),
        field: 'regions[1].routing.geoTag',
        at: 'geoTag: eu',
        message: /not used by routing provider external-dns/,
      },
      {
        name: 'k8gb geoip cannot drain',
        text: () =>
          withTraffic(
            [100, 0],
            withRouting(
              '  provider: k8gb\n  host: alfred.gslb.example.com\n  k8gb:\n    strategy: geoip',
            ),
          ).replace(REGION_ROUTING, ''),
        field: 'regions[1].traffic',
        at: 'traffic: 0',
        message: /geoip .* no per-region weight/,
      },
      {
        name: 'k8gb duplicate geo tag',
        text: () =>
          withRouting('  provider: k8gb\n  host: alfred.gslb.example.com')
            .replace('routing: { awsRegion: us-east-1 }', 'routing: { geoTag: eu-west }')
            .replace(REGION_ROUTING, ''),
        field: 'regions[1].routing.geoTag',
        at: '  - name: eu-west',
        message: /already the geo tag of regions\[0\]/,
      },
      {
        name: 'aws-global-accelerator without endpoint ARN outside the home region',
        text: () => withRouting('  provider: aws-global-accelerator\n  host: alfred.example.com'),
        field: 'regions[1].routing',
        at: 'routing: { awsRegion: eu-west-1 }',
        message:
          /other than the home region \("us-east"\) by its load balancer ARN: set routing.endpointId/,
      },
      {
        name: 'cloudflare without account and zone',
        text: () =>
          withRouting('  provider: cloudflare\n  host: alfred.example.com').replace(
            REGION_ROUTING,
            '',
          ),
        field: 'routing.cloudflare.accountId',
        at: '  provider: cloudflare',
        message: /is required with provider cloudflare/,
      },
      {
        name: 'remote key with an unknown placeholder',
        text: () => variant('database: alfred/{{region}}/db', 'database: alfred/{{cluster}}/db'),
        field: 'secrets.externalSecrets.remoteKeys.database',
        at: 'database: alfred/{{cluster}}/db',
        message:
          /unknown placeholder \{\{cluster\}\}: a remote key may use \{\{app\}\} and \{\{region\}\} only/,
      },
      {
        name: 'SOPS with Argo CD',
        text: () => variant('\nsecrets:\n', '\nsecrets:\n  sops:\n    secretRef: sops-age\n'),
        field: 'secrets.sops',
        at: '  sops:',
        message: /SOPS decryption is a Flux feature/,
      },
      {
        name: 'unknown store kind (schema)',
        text: () => variant('kind: ClusterSecretStore', 'kind: VaultStore'),
        field: 'secrets.externalSecrets.store.kind',
        at: 'kind: VaultStore',
        message: /expected one of "ClusterSecretStore", "SecretStore"/,
      },
      {
        name: 'traffic above 100 (schema)',
        text: () => withTraffic([101]),
        field: 'regions[0].traffic',
        at: 'traffic: 101',
        message: /expected a number <= 100/,
      },
    ];

  it.each(cases)('$name', ({ text, field, at, message }) => {
    const t = text();
    const problems = problemsOf(t);
    const hit = problems.find((p) => p.field === field);
    expect(hit, JSON.stringify(problems, null, 1)).toBeDefined();
    expect(hit!.file).toBe(FILE);
    expect(hit!.line).toBe(lineOf(t, at));
    expect(hit!.message).toMatch(message);
  });
});

describe('what losing a region does to the global host', () => {
  const expectLoss = (
    got: ReturnType<typeof routingOnRegionLoss>,
    failsOver: boolean,
    detail: RegExp,
  ): void => {
    expect(got.failsOver, got.detail).toBe(failsOver);
    expect(got.detail).toMatch(detail);
  };
  const loss = (text: string, region: string): ReturnType<typeof routingOnRegionLoss> =>
    routingOnRegionLoss(parseConfig(text, FILE), region);

  it('external-dns with target health fails over; without any health check it does not', () => {
    expectLoss(
      loss(bundled, 'us-east'),
      true,
      /alias target of us-east's record unhealthy and answers with eu-west, ap-southeast/,
    );
    const blind = variant(
      'policy: latency\n',
      'policy: latency\n  evaluateTargetHealth: false\n'.replace('\n  ', '\n    '),
    );
    expectLoss(loss(blind, 'us-east'), false, /no health check and stays after the region is gone/);
  });

  it('a drained region loses nothing; no routing or nowhere to go does not fail over', () => {
    expect(loss(withTraffic([100, 0]), 'eu-west').failsOver).toBe(true);
    expectLoss(loss(withTraffic([100, 0, 0]), 'us-east'), false, /every other region is drained/);
    const none = bundled
      .replace(/\nrouting:\n[\s\S]*?\n\n/, '\n\n')
      .replace(REGION_ROUTING, '')
      .replace(/\n {4}traffic: 100.*/g, '');
    expectLoss(
      loss(none, 'us-east'),
      false,
      /no global routing: us-east.alfred.example.com is down/,
    );
  });

  it('k8gb, Global Accelerator and Cloudflare (with pool IDs) fail over', () => {
    const k8gb = withRouting('  provider: k8gb\n  host: alfred.gslb.example.com').replace(
      REGION_ROUTING,
      '',
    );
    expect(loss(k8gb, 'us-east').failsOver).toBe(true);
    const cf = withRouting(
      '  provider: cloudflare\n  host: alfred.example.com\n  cloudflare:\n    accountId: 0123456789abcdef0123456789abcdef\n    zoneId: fedcba9876543210fedcba9876543210',
    ).replace(REGION_ROUTING, '');
    expectLoss(loss(cf, 'eu-west'), false, /LoadBalancer is not generated yet/);
    let n = 0;
    const withIds = cf.replace(
      /traffic: 100/g,
      (m) => `${m}\n${' '.repeat(4)}routing: { cloudflarePoolId: '${String(++n).repeat(32)}' }`,
    );
    expectLoss(
      loss(withIds, 'us-east'),
      true,
      /monitor marks us-east's pool unhealthy.*needs a new routing.homeRegion/,
    );
    const aga = withRouting('  provider: aws-global-accelerator\n  host: alfred.example.com')
      .replace(
        'awsRegion: eu-west-1 }',
        "awsRegion: eu-west-1, endpointId: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/a/1' }",
      )
      .replace(
        'awsRegion: ap-southeast-1 }',
        "awsRegion: ap-southeast-1, endpointId: 'arn:aws:elasticloadbalancing:ap-southeast-1:123456789012:loadbalancer/net/b/2' }",
      );
    expectLoss(
      loss(aga, 'eu-west'),
      true,
      /health checks move eu-west's share to us-east, ap-southeast$/,
    );
  });
});
