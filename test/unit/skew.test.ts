import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/compare/kube-object';
import { buildSkewDigest } from '../../src/core/compare/skew-digest';
import { aggregateReports } from '../../src/core/report/aggregate';
import { renderMarkdownReport } from '../../src/core/report/markdown';
import { renderCommentParts } from '../../src/core/report/markdown-comment';
import type { DriftReport, Finding, RegionReport } from '../../src/core/report/model';
import { computeSkew, skewValue, skewValueKey } from '../../src/core/report/skew';
import { renderText } from '../../src/core/report/text';
import { ReportFileError } from '../../src/core/errors';
import { changed, field, region, report } from '../support/reports';

const API = '/spec/template/spec/containers/name=api/image';

function deployment(image: string, sidecar?: string, init?: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'alfred-api', namespace: 'alfred' },
    spec: {
      replicas: 2,
      template: {
        spec: {
          ...(init ? { initContainers: [{ name: 'migrate', image: init }] } : {}),
          containers: [
            { name: 'api', image, env: [{ name: 'REGION', value: 'x' }] },
            ...(sidecar ? [{ name: 'proxy', image: sidecar }] : []),
          ],
        },
      },
    },
  };
}

function configMap(data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'alfred-config', namespace: 'alfred' },
    data,
  };
}

/** One region's digest for an api image and a ConfigMap, Git vs live. */
function regionWith(
  name: string,
  git: { image: string; data: Record<string, string> },
  live: { image: string; data: Record<string, string> },
  findings: Finding[] = [],
): RegionReport {
  const skewDigest = buildSkewDigest({
    compared: [
      { desired: deployment(git.image), live: deployment(live.image) },
      { desired: configMap(git.data), live: configMap(live.data) },
    ],
    findings,
    ignored: [],
  });
  return region(name, findings, { skewDigest });
}

const image = (tag: string) => `ghcr.io/alfred/api:${tag}`;
const data = (region: string, cache = 'redis-cluster') => ({ REGION: region, CACHE_MODE: cache });

/** Three regions; us-east runs an older image, eu-west another cache mode, ap-southeast what Git says. */
function threeRegions(): RegionReport[] {
  return [
    regionWith(
      'us-east',
      { image: image('1.42.0'), data: data('us-east') },
      { image: image('1.41.3'), data: data('us-east') },
    ),
    regionWith(
      'eu-west',
      { image: image('1.42.0'), data: data('eu-west') },
      { image: image('1.42.0'), data: data('eu-west', 'local') },
    ),
    regionWith(
      'ap-southeast',
      { image: image('1.42.0'), data: data('ap-southeast') },
      { image: image('1.42.0'), data: data('ap-southeast') },
    ),
  ];
}

describe('buildSkewDigest', () => {
  it('records container images and ConfigMap keys, with the live value only where it differs', () => {
    const digest = buildSkewDigest({
      compared: [
        {
          desired: deployment(image('1.42.0'), undefined, 'migrate:1'),
          live: deployment(image('1.41.3'), 'envoy:1.31', 'migrate:1'),
        },
        { desired: configMap({ A: '1', B: '2' }), live: configMap({ A: '1', C: '3' }) },
      ],
      findings: [],
      ignored: [],
    });
    expect(digest).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'alfred',
        name: 'alfred-config',
        fields: [
          { path: '/data/A', desired: { value: '1' } },
          { path: '/data/B', desired: { value: '2' }, live: {} },
          { path: '/data/C', desired: {}, live: { value: '3' } },
        ],
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'alfred',
        name: 'alfred-api',
        fields: [
          { path: API, desired: { value: image('1.42.0') }, live: { value: image('1.41.3') } },
          {
            path: '/spec/template/spec/containers/name=proxy/image',
            desired: {},
            live: { value: 'envoy:1.31' },
          },
          {
            path: '/spec/template/spec/initContainers/name=migrate/image',
            desired: { value: 'migrate:1' },
          },
        ],
      },
    ]);
  });

  it('adds the fields of the region’s findings, never Secrets, and nothing ignore rules hid', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'alfred' },
      data: { password: 'c2VjcmV0' },
    };
    const finding = changed('alfred-api', [
      field('/spec/replicas', 2, 7),
      field('/metadata/labels/owner', undefined, 'bob'),
    ]);
    const digest = buildSkewDigest({
      compared: [
        { desired: deployment(image('1')), live: deployment(image('1'), 'envoy:1') },
        { desired: secret, live: { ...secret, data: { password: 'b3RoZXI=' } } },
        { desired: configMap({ A: '1' }), live: configMap({ A: '2' }) },
      ],
      findings: [finding],
      ignored: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: 'alfred',
          name: 'alfred-api',
          path: '/spec/template/spec/containers/name=proxy',
          rule: '#1 (sidecar injected)',
        },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: 'alfred',
          name: 'alfred-config',
          path: '',
          rule: '#2',
        },
      ],
    });
    expect(digest.map((o) => [o.kind, o.fields.map((f) => f.path)])).toEqual([
      ['Deployment', ['/metadata/labels/owner', '/spec/replicas', API]],
    ]);
    expect(JSON.stringify(digest)).not.toContain('c2VjcmV0');
  });

  it('carries long values as a hash that still compares', () => {
    const long = 'x'.repeat(500);
    const v = skewValue(long);
    expect(Object.keys(v)).toEqual(['sha256']);
    expect(v.sha256).toMatch(/^[0-9a-f]{32}$/);
    expect(skewValueKey(v)).toBe(skewValueKey({ value: long }));
    expect(skewValueKey(skewValue('a'))).not.toBe(skewValueKey(skewValue('b')));
    // Object key order does not matter; JSON types do.
    expect(skewValueKey({ value: { a: 1, b: 2 } })).toBe(skewValueKey({ value: { b: 2, a: 1 } }));
    expect(skewValueKey({ value: '1' })).not.toBe(skewValueKey({ value: 1 }));
    expect(skewValueKey({})).not.toBe(skewValueKey({ value: null }));
  });
});

describe('computeSkew', () => {
  it('names the region that runs something else where Git says the same', () => {
    expect(computeSkew(threeRegions())).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'alfred',
        name: 'alfred-config',
        path: '/data/CACHE_MODE',
        desired: { value: 'redis-cluster' },
        live: [
          { value: 'redis-cluster', regions: ['us-east', 'ap-southeast'] },
          { value: 'local', regions: ['eu-west'] },
        ],
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'alfred',
        name: 'alfred-api',
        path: API,
        desired: { value: image('1.42.0') },
        live: [
          { value: image('1.42.0'), regions: ['eu-west', 'ap-southeast'] },
          { value: image('1.41.3'), regions: ['us-east'] },
        ],
      },
    ]);
  });

  it('never reports values Git sets differently per region, even when they drift', () => {
    const regions = [
      regionWith(
        'us-east',
        { image: image('1.42.0'), data: data('us-east') },
        { image: image('1.42.0'), data: data('eu-west') },
      ),
      regionWith(
        'eu-west',
        { image: image('1.43.0'), data: data('eu-west') },
        { image: image('1.43.0'), data: data('eu-west') },
      ),
    ];
    expect(computeSkew(regions)).toEqual([]);
  });

  it('compares regions within each group that Git treats alike', () => {
    const r = (name: string, git: string, live: string) =>
      regionWith(name, { image: image(git), data: {} }, { image: image(live), data: {} });
    const skew = computeSkew([
      r('a', '2', '2'),
      r('b', '2', '1'),
      r('c', '3', '3'),
      r('d', '3', '3'),
      r('e', '4', '9'),
    ]);
    expect(skew.map((e) => [e.desired, e.live])).toEqual([
      [
        { value: image('2') },
        [
          { value: image('2'), regions: ['a'] },
          { value: image('1'), regions: ['b'] },
        ],
      ],
    ]);
  });

  it('needs two regions with data: one region, or regions that could not be read, give none', () => {
    const [east, west] = threeRegions();
    expect(computeSkew([east])).toEqual([]);
    expect(computeSkew([east, { ...west, status: 'error', skewDigest: undefined }])).toEqual([]);
  });

  it('uses the drifted fields both regions recorded, such as replicas scaled by hand', () => {
    const scaled = (name: string, live: number) =>
      region(name, [], {
        skewDigest: buildSkewDigest({
          compared: [{ desired: deployment('a'), live: deployment('a') }],
          findings: [changed('alfred-api', [field('/spec/replicas', 2, live)])],
          ignored: [],
        }),
      });
    const skew = computeSkew([scaled('us-east', 7), scaled('eu-west', 5)]);
    expect(skew.map((e) => [e.path, e.live.map((g) => [g.value, g.regions])])).toEqual([
      [
        '/spec/replicas',
        [
          [7, ['us-east']],
          [5, ['eu-west']],
        ],
      ],
    ]);
  });
});

const file = (name: string, data: unknown) => ({ file: name, text: JSON.stringify(data) });

describe('skew in aggregate mode', () => {
  it('one job per region gives the same skew as one run over all regions', () => {
    const regions = threeRegions();
    const single = report(regions, { skew: computeSkew(regions) });
    const combined = aggregateReports(
      regions.map((r) => file(`reports/${r.name}.json`, report([r]))),
    );
    expect(combined.skew).toEqual(single.skew);
    expect(combined.skew).toHaveLength(2);
  });

  it('refuses a report whose digest is malformed, naming the field', () => {
    const [east] = threeRegions();
    const broken = JSON.parse(JSON.stringify(report([east]))) as DriftReport;
    (broken.regions[0].skewDigest![0].fields[0] as { desired: unknown }).desired = 'x';
    try {
      aggregateReports([file('east.json', broken)]);
      throw new Error('expected a ReportFileError');
    } catch (e) {
      expect(e).toBeInstanceOf(ReportFileError);
      expect((e as Error).message).toContain(
        'east.json: regions[0].skewDigest[0].fields[0]: expected {path, desired, live?}',
      );
    }
  });
});

const md = new MarkdownIt({ html: true, linkify: true });

describe('rendering skew and risks', () => {
  const riskyRegion = region('us-east', [
    changed(
      'alfred-db',
      [field('/spec/volumeClaimTemplates/0/spec/resources/requests/storage', '5Gi', '1Gi')],
      {
        kind: 'StatefulSet',
        risks: ['immutable-field'],
      },
    ),
    changed('alfred-api', [field('/spec/replicas', 3, 5)]),
  ]);

  it('Markdown: a skew table after the region table, risks in the table, summary and heading', () => {
    const regions = threeRegions();
    const r = report([riskyRegion, ...regions.slice(1)], { skew: computeSkew(regions) });
    const text = renderMarkdownReport(r);
    const html = md.render(text);
    // The skew table follows the region table and comes before the per-region sections.
    expect(text.indexOf('**Skew between regions:**')).toBeGreaterThan(text.indexOf('| Region |'));
    expect(text.indexOf('**Skew between regions:**')).toBeLessThan(text.indexOf('<details'));
    expect(html).toContain('<strong>Skew between regions:</strong> 2 fields');
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) =>
      [...m[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => c[1]),
    );
    expect(rows).toContainEqual([
      'Deployment <code>alfred/alfred-api</code>',
      '<code>/spec/template/spec/containers/name=api/image</code>',
      '<code>ghcr.io/alfred/api:1.42.0</code>',
      '<code>ghcr.io/alfred/api:1.42.0</code> in eu-west, ap-southeast<br><code>ghcr.io/alfred/api:1.41.3</code> in us-east',
    ]);
    expect(rows).toContainEqual(['us-east', '⚠️ drift · 🚩 1 risky', '12', '0', '2', '0']);
    expect(html).toContain('<summary><b>us-east</b> · drift: 2 objects, 1 risky</summary>');
    expect(html).toContain(
      '🚩 <strong>Risk</strong> <code>immutable-field</code>: the API server refuses to update this field in place',
    );
  });

  it('Markdown: bounded in the comment, which stays byte-identical for the same result', () => {
    const many = Array.from({ length: 15 }, (_, i) => ({
      ...computeSkew(threeRegions())[1],
      name: `api-${String(i).padStart(2, '0')}`,
    }));
    const r = report(threeRegions(), { skew: many });
    const [first] = renderCommentParts(r);
    expect(first.match(/<code>alfred\/api-\d\d<\/code>/g)).toHaveLength(10);
    expect(first).toContain('… and 5 more skewed fields in the JSON report.');
    const copy = JSON.parse(JSON.stringify(r)) as DriftReport;
    expect(renderCommentParts(r)).toEqual(renderCommentParts(copy));
  });

  it('text: risk lines under the object, a skew section before the summary', () => {
    const regions = threeRegions();
    const out = renderText(
      report([riskyRegion, ...regions.slice(1)], { skew: computeSkew(regions) }),
    );
    expect(out).toContain('us-east  drift  (12 objects; 0 missing, 2 changed, 0 extra, 1 risky)');
    expect(out).toContain(
      '  ~ apps/v1 StatefulSet alfred/alfred-db  changed  (from overlays/regions/us-east/kustomization.yaml)\n      risk immutable-field: the API server refuses',
    );
    expect(out).toContain(
      [
        'skew between regions: 2 fields where Git has one value and the clusters do not',
        '  v1 ConfigMap alfred/alfred-config  /data/CACHE_MODE',
        '      git: "redis-cluster"',
        '      "redis-cluster"  in us-east, ap-southeast',
        '      "local"  in eu-west',
      ].join('\n'),
    );
    expect(out.indexOf('skew between regions')).toBeLessThan(out.indexOf('3 regions:'));
  });

  it('the JSON Schema accepts a report with risks, digests and skew, and rejects unknown risks', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(
      JSON.parse(
        readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'),
      ) as object,
    );
    const regions = threeRegions();
    const r = report([riskyRegion, ...regions.slice(1)], {
      skew: computeSkew([
        ...regions,
        regionWith('x', { image: 'a'.repeat(300), data: {} }, { image: 'b', data: {} }),
      ]),
    });
    const ok = validate(JSON.parse(JSON.stringify(r)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const bad = JSON.parse(JSON.stringify(r)) as DriftReport;
    (bad.regions[0].findings[0] as { risks: string[] }).risks = ['scary'];
    expect(validate(bad)).toBe(false);
  });
});
