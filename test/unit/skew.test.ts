import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { refOf, type KubeObject } from '../../src/core/compare/kube-object';
import { buildSkewDigest } from '../../src/core/compare/skew-digest';
import { aggregateReports } from '../../src/core/report/aggregate';
import { renderMarkdownReport } from '../../src/core/report/markdown';
import { renderCommentParts } from '../../src/core/report/markdown-comment';
import type { DriftReport, Finding, RegionReport } from '../../src/core/report/model';
import { computeSkew, skewFingerprint, skewValue, skewValueKey } from '../../src/core/report/skew';
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

/** The fingerprints of a digest's `same` string. */
const fingerprints = (same: string) => same.match(/.{8}/g) ?? [];
/** The fingerprint a field whose live value is Git's gets. */
const fp = (obj: KubeObject, path: string, value: unknown) =>
  skewFingerprint(refOf(obj), path, skewValueKey(skewValue(value)));

describe('buildSkewDigest', () => {
  it('records images and ConfigMap keys: a fingerprint where live is Git’s, both values where not', () => {
    const git = deployment(image('1.42.0'), undefined, 'migrate:1');
    const cm = configMap({ A: '1', B: '2' });
    const digest = buildSkewDigest({
      compared: [
        { desired: git, live: deployment(image('1.41.3'), 'envoy:1.31', 'migrate:1') },
        { desired: cm, live: configMap({ A: '1', C: '3' }) },
      ],
      findings: [],
      ignored: [],
    });
    const ref = (o: KubeObject) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: 'alfred',
      name: o.metadata.name,
    });
    expect(digest.differs).toEqual([
      { ...ref(cm), path: '/data/B', desired: { value: '2' }, live: {} },
      { ...ref(cm), path: '/data/C', desired: {}, live: { value: '3' } },
      {
        ...ref(git),
        path: API,
        desired: { value: image('1.42.0') },
        live: { value: image('1.41.3') },
      },
      {
        ...ref(git),
        path: '/spec/template/spec/containers/name=proxy/image',
        desired: {},
        live: { value: 'envoy:1.31' },
      },
    ]);
    expect(fingerprints(digest.same).sort()).toEqual(
      [
        fp(cm, '/data/A', '1'),
        fp(git, '/spec/template/spec/initContainers/name=migrate/image', 'migrate:1'),
      ].sort(),
    );
    // The fingerprint names object, path and value: change any one and it differs.
    const other = fp(cm, '/data/A', '1');
    expect(fp(cm, '/data/A', '2')).not.toBe(other);
    expect(fp(cm, '/data/B', '1')).not.toBe(other);
    expect(fp({ ...cm, metadata: { ...cm.metadata, name: 'x' } }, '/data/A', '1')).not.toBe(other);
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
    expect(digest.differs.map((f) => [f.kind, f.path])).toEqual([
      ['Deployment', '/metadata/labels/owner'],
      ['Deployment', '/spec/replicas'],
    ]);
    expect(fingerprints(digest.same)).toEqual([fp(deployment(image('1')), API, image('1'))]);
    expect(JSON.stringify(digest)).not.toContain('c2VjcmV0');
  });

  it('leaves out what the pull request itself changes (origin pr), keeps drift and both', () => {
    // The PR moves every region to 1.42.0; this one still runs the base's 1.41.3.
    const git = deployment(image('1.42.0'), 'envoy:2');
    const live = deployment(image('1.41.3'), 'envoy:1');
    const digest = (origin: 'pr' | 'drift' | 'both') =>
      buildSkewDigest({
        compared: [{ desired: git, live }],
        findings: [
          changed('alfred-api', [
            field(API, image('1.42.0'), image('1.41.3'), { origin }),
            field('/spec/template/spec/containers/name=proxy/image', 'envoy:2', 'envoy:1', {
              origin: 'drift',
            }),
          ]),
        ],
        ignored: [],
      });
    expect(digest('pr').differs.map((f) => f.path)).toEqual([
      '/spec/template/spec/containers/name=proxy/image',
    ]);
    expect(digest('pr').same).toBe('');
    for (const origin of ['drift', 'both'] as const)
      expect(digest(origin).differs.map((f) => f.path)).toEqual([
        API,
        '/spec/template/spec/containers/name=proxy/image',
      ]);
  });

  it('is small: 1,150 fields of 450 objects, 5 of them drifted, take under 12 KB', () => {
    const compared = [];
    for (let i = 0; i < 200; i++) {
      const d = deployment(image(`${i % 7}.0.0`), 'envoy:v1.31.0');
      d.metadata.name = `svc-${i}`;
      compared.push({ desired: d, live: d });
    }
    for (let i = 0; i < 250; i++) {
      const c = configMap({ LOG_LEVEL: 'info', INDEX: String(i), 'app.yaml': `name: c-${i}\n` });
      c.metadata.name = `config-${i}`;
      compared.push({
        desired: c,
        live: i < 5 ? configMap({ ...(c.data as Record<string, string>), LOG_LEVEL: 'debug' }) : c,
      });
    }
    const digest = buildSkewDigest({ compared, findings: [], ignored: [] });
    expect(fingerprints(digest.same)).toHaveLength(200 * 2 + 250 * 3 - 5);
    expect(digest.differs).toHaveLength(5);
    expect(JSON.stringify(digest, null, 2).length).toBeLessThan(12_000);
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
    const { skewDigest: _unread, ...unreadable } = west;
    expect(computeSkew([east, { ...unreadable, status: 'error' }])).toEqual([]);
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

/**
 * Skew by its definition, from every region's full Git and live values: for each object
 * and field, regions grouped by Git's value; a group whose live values differ is skew.
 */
function skewByDefinition(
  names: string[],
  cells: Map<string, Array<{ git?: string; live?: string }>>,
): Array<[string, string | undefined, Array<[string | undefined, string[]]>]> {
  const out: Array<[string, string | undefined, Array<[string | undefined, string[]]>]> = [];
  for (const at of [...cells.keys()].sort()) {
    const perRegion = cells.get(at)!;
    const byGit = new Map<string, number[]>();
    perRegion.forEach((c, r) => {
      if (c.git === undefined && c.live === undefined) return;
      const k = String(c.git);
      byGit.set(k, [...(byGit.get(k) ?? []), r]);
    });
    for (const regions of byGit.values()) {
      const git = perRegion[regions[0]].git;
      const byLive = new Map<string, number[]>();
      for (const r of regions) {
        const k = String(perRegion[r].live);
        byLive.set(k, [...(byLive.get(k) ?? []), r]);
      }
      if (regions.length < 2 || byLive.size < 2) continue;
      const groups = [...byLive.values()].sort(
        (a, b) =>
          b.length - a.length ||
          Number(perRegion[b[0]].live === git) - Number(perRegion[a[0]].live === git) ||
          a[0] - b[0],
      );
      out.push([
        at,
        git,
        groups.map(
          (g) => [perRegion[g[0]].live, g.map((r) => names[r])] as [string | undefined, string[]],
        ),
      ]);
    }
  }
  return out;
}

describe('computeSkew from compact digests', () => {
  it('gives exactly the skew its definition gives, on 200 random sets of regions', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = () => (rand(5) === 0 ? undefined : ['a', 'b', 'c', 'x'.repeat(300)][rand(4)]);
    let withSkew = 0;
    for (let round = 0; round < 200; round++) {
      const names = ['r0', 'r1', 'r2', 'r3'].slice(0, 2 + rand(3));
      const cells = new Map<string, Array<{ git?: string; live?: string }>>();
      const regions = names.map((name, r) => {
        const compared = [];
        for (const cmName of ['cm-a', 'cm-b']) {
          const git: Record<string, string> = {};
          const live: Record<string, string> = {};
          for (const key of ['K1', 'K2', 'K3']) {
            const g = pick();
            // Mostly live is Git's; sometimes another value or unset.
            const l = rand(3) === 0 ? pick() : g;
            if (g !== undefined) git[key] = g;
            if (l !== undefined) live[key] = l;
            const at = `${cmName} /data/${key}`;
            if (!cells.has(at))
              cells.set(
                at,
                names.map(() => ({})),
              );
            cells.get(at)![r] = {
              ...(g !== undefined ? { git: g } : {}),
              ...(l !== undefined ? { live: l } : {}),
            };
          }
          const named = (data: Record<string, string>) => {
            const c = configMap(data);
            c.metadata.name = cmName;
            return c;
          };
          compared.push({ desired: named(git), live: named(live) });
        }
        return region(name, [], {
          skewDigest: buildSkewDigest({ compared, findings: [], ignored: [] }),
        });
      });
      const got = computeSkew(regions).map((e) => [
        `${e.name} ${e.path}`,
        e.desired.value ?? (e.desired.sha256 ? 'x'.repeat(300) : undefined),
        e.live.map((g) => [g.value ?? (g.sha256 ? 'x'.repeat(300) : undefined), g.regions]),
      ]);
      expect(got).toEqual(skewByDefinition(names, cells));
      if (got.length > 0) withSkew++;
    }
    // The random data really exercises skew (and its absence).
    expect(withSkew).toBeGreaterThan(50);
    expect(withSkew).toBeLessThan(200);
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
    (broken.regions[0].skewDigest!.differs[0] as { desired: unknown }).desired = 'x';
    broken.regions[0].skewDigest!.same += 'abc';
    const older = JSON.parse(JSON.stringify(report([east]))) as DriftReport;
    (older.regions[0] as { skewDigest: unknown }).skewDigest = [];
    const message = (data: unknown) => {
      try {
        aggregateReports([file('east.json', data)]);
      } catch (e) {
        expect(e).toBeInstanceOf(ReportFileError);
        return (e as Error).message;
      }
      throw new Error('expected a ReportFileError');
    };
    expect(message(broken)).toContain(
      'east.json: regions[0].skewDigest.differs[0]: expected {desired, live} objects',
    );
    expect(message(broken)).toContain(
      'east.json: regions[0].skewDigest.same: expected 8-character base64url fingerprints',
    );
    expect(message(older)).toContain(
      'east.json: regions[0].skewDigest: expected {same, differs} (a report written by another mr-drift version',
    );
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
