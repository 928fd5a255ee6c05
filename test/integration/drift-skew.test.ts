import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeCluster, kubectl, regions } from '../cluster/testing';
import { aggregateReports } from '../../src/core/report/aggregate';
import type { DriftReport } from '../../src/core/report/model';
import {
  alfredWorkspace,
  applyInOrder,
  check,
  completed,
  deleteObjects,
  runCli,
  type AlfredWorkspace,
} from './drift-helpers';

/**
 * Skew between the three real regions. The generated Alfred overlays are deployed to all
 * three; then one region gets an older image (`kubectl set image`), another a different
 * cache mode in its ConfigMap, and the third a changed REGION value, which Git sets per
 * region. Skew must name exactly the first two with the odd region, never the third,
 * in one run over all regions and when per-region runs are combined (the matrix workflow).
 */

const API_IMAGE = '/spec/template/spec/containers/name=api/image';

describeCluster('skew between regions on the real clusters', () => {
  const all = regions();
  const [east, west, south] = all;
  let ws: AlfredWorkspace;
  let gitImage: string;
  let oldImage: string;
  const reports = new Map<string, DriftReport>();

  beforeAll(async () => {
    ws = alfredWorkspace(all);
    for (const r of all) await applyInOrder(r, ws.objects(r));
    const api = ws
      .objects(east)
      .find((o) => o.kind === 'Deployment' && o.metadata.name === 'alfred-api') as unknown as {
      spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } };
    };
    gitImage = api.spec.template.spec.containers.find((c) => c.name === 'api')!.image;
    oldImage = gitImage.replace(/:[^:]+$/, ':1.41.3');
    const k = (region: string, args: string[]) =>
      kubectl(region, args, { namespace: ws.namespace });
    await k(east, ['set', 'image', 'deployment/alfred-api', `api=${oldImage}`]);
    await k(west, [
      'patch',
      'configmap/alfred-config',
      '--type=merge',
      '-p',
      '{"data":{"CACHE_MODE":"local"}}',
    ]);
    // Git sets REGION differently in each region: drift there, never skew.
    await k(south, [
      'patch',
      'configmap/alfred-config',
      '--type=merge',
      '-p',
      `{"data":{"REGION":"${east}"}}`,
    ]);
    for (const mode of ['server-side', 'read-only'] as const)
      reports.set(mode, await check(ws.dir, all, mode));
    for (const r of all) reports.set(r, await check(ws.dir, [r], 'server-side'));
  });

  afterAll(async () => {
    for (const r of all) await deleteObjects(r, ws.objects(r));
    ws.dispose();
  });

  /** CACHE_MODE as Git sets it in a region (the generator may choose it per region). */
  const gitCacheMode = (region: string) =>
    (
      ws
        .objects(region)
        .find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'alfred-config') as unknown as {
        data: Record<string, string>;
      }
    ).data.CACHE_MODE;

  const expectedSkew = () => [
    {
      kind: 'ConfigMap',
      path: '/data/CACHE_MODE',
      desired: gitCacheMode(west),
      // Only regions where Git has the same cache mode as eu-west take part.
      live: [
        [
          gitCacheMode(west),
          all.filter((r) => r !== west && gitCacheMode(r) === gitCacheMode(west)),
        ],
        ['local', [west]],
      ],
    },
    {
      kind: 'Deployment',
      path: API_IMAGE,
      desired: gitImage,
      live: [
        [gitImage, [west, south]],
        [oldImage, [east]],
      ],
    },
  ];

  const skewOf = (report: DriftReport) =>
    (report.skew ?? []).map((e) => ({
      kind: e.kind,
      path: e.path,
      desired: e.desired.value,
      live: e.live.map((g) => [g.value, g.regions]),
    }));

  it('the overlays really set the same image everywhere, and the cache mode in at least two regions', () => {
    const images = all.map((r) =>
      ws
        .objects(r)
        .filter((o) => o.kind === 'Deployment' && o.metadata.name === 'alfred-api')
        .map((o) => JSON.stringify(o.spec).match(/"image":"([^"]+)"/)?.[1]),
    );
    expect(images).toEqual(all.map(() => [gitImage]));
    expect(gitCacheMode(east)).toBe(gitCacheMode(west));
  });

  it.each(['server-side', 'read-only'] as const)(
    '%s mode: names the odd region for the image and the ConfigMap key, not the per-region value',
    (mode) => {
      const report = reports.get(mode)!;
      for (const r of report.regions) completed(r);
      expect(report.regions.map((r) => r.status)).toEqual(['drift', 'drift', 'drift']);
      expect(skewOf(report)).toEqual(expectedSkew());
      // Each skew entry is about this copy of Alfred, in its namespace.
      for (const e of report.skew!) expect(e.namespace).toBe(ws.namespace);
    },
  );

  it('aggregate mode computes the same skew from one report per region', () => {
    const combined = aggregateReports(
      all.map((r) => ({ file: `${r}.json`, text: JSON.stringify(reports.get(r)) })),
    );
    // Alone, a region has nothing to compare with.
    for (const r of all) expect(reports.get(r)!.skew).toBeUndefined();
    expect(skewOf(combined)).toEqual(expectedSkew());
    expect(combined.skew).toEqual(reports.get('server-side')!.skew);
  });

  it('the CLI shows the skew section in text and Markdown', async () => {
    const text = await runCli(['check', '--path', ws.dir, '--regions', all.join(',')]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `skew between regions: 2 fields where Git has one value and the clusters do not`,
    );
    expect(text.stdout).toContain(`      "${oldImage}"  in ${east}`);
    const markdown = await runCli([
      'check',
      '--path',
      ws.dir,
      '--regions',
      all.join(','),
      '--output',
      'markdown',
    ]);
    expect(markdown.stdout).toContain('**Skew between regions:** 2 fields');
    expect(markdown.stdout).toContain(`<code>local</code> in ${west}`);
  });
});
