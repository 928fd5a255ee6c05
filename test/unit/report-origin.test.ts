import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { aggregateReports } from '../../src/core/report/aggregate';
import { planAnnotations } from '../../src/core/report/annotations';
import { renderMarkdownReport, verdictLine } from '../../src/core/report/markdown';
import { renderCommentParts } from '../../src/core/report/markdown-comment';
import type { DriftReport, Finding } from '../../src/core/report/model';
import { regionsChangedByPr } from '../../src/core/report/origin';
import { renderText } from '../../src/core/report/text';
import { bigRegion, changed, field, region, report } from '../support/reports';
import { reportSchemaValidator } from '../support/report-schema';

// How a report checked against a pull request's base reads: the two parts per region, the
// line that names a hand change the merge overwrites, the table, the verdict, the JSON
// Schema, aggregate mode and annotations. The origins themselves are decided in
// classify-origin.ts (tested on recorded and real clusters); these reports are built by hand.

const BASE = 'b'.repeat(40);
const IMAGE = '/spec/template/spec/containers/name=api/image';
const md = new MarkdownIt({ html: true, linkify: true });

/** us-east: a PR change, a hand change the PR overwrites, and unrelated drift. eu-west: PR only. */
function prReport(extra: Partial<DriftReport> = {}): DriftReport {
  const api = (origin: Finding['origin'], fields: Finding['fields']) =>
    changed('alfred-api', fields, { origin });
  return report(
    [
      region('us-east', [
        api('both', [
          field('/spec/replicas', 3, 2, { manager: 'argocd-controller', origin: 'pr' }),
          field(IMAGE, 'api:1.43', 'api:9.9.9', { manager: 'kubectl-set', origin: 'both' }),
        ]),
        changed(
          'alfred-config',
          [
            field('/data/LOG_LEVEL', 'info', 'debug', {
              manager: 'kubectl-patch',
              origin: 'drift',
            }),
          ],
          { kind: 'ConfigMap', apiVersion: 'v1', origin: 'drift' },
        ),
        changed('alfred-flags', [], {
          kind: 'ConfigMap',
          apiVersion: 'v1',
          type: 'missing',
          origin: 'pr',
        }),
      ]),
      region(
        'eu-west',
        [
          api('pr', [
            field('/spec/replicas', 3, 2, { manager: 'argocd-controller', origin: 'pr' }),
          ]),
        ],
        { status: 'in-sync' },
      ),
      region('ap-southeast'),
    ],
    {
      source: { path: 'overlays', revision: 'a'.repeat(40), base: { ref: BASE, revision: BASE } },
      ...extra,
    },
  );
}

describe('a report checked against the pull request’s base', () => {
  it('verdict: the PR’s regions apart from drift', () => {
    expect(verdictLine(prReport())).toBe('this PR changes 2 of 3 regions, drift in 1 of 3 regions');
    const onlyPr = prReport();
    onlyPr.regions = onlyPr.regions.filter((r) => r.name !== 'us-east');
    expect(verdictLine(onlyPr)).toBe('this PR changes 1 of 2 regions, no drift');
    expect(regionsChangedByPr(prReport())).toEqual(['us-east', 'eu-west']);
  });

  it('comment: a table counting both parts, then per region the two parts', () => {
    const [body] = renderCommentParts(prReport());
    expect(body).toContain(
      '| Region | Status | Objects | This PR changes | Drift | PR overwrites drift |',
    );
    expect(body).toContain('| us-east | ⚠️ drift | 12 | 2 | 2 | ⚠️ 1 |');
    expect(body).toContain('| eu-west | ✅ no drift | 12 | 1 | 0 | 0 |');
    expect(body).toContain('| ap-southeast | ✅ in sync | 12 | 0 | 0 | 0 |');

    const east = body.slice(body.indexOf('<b>us-east</b>'), body.indexOf('<b>eu-west</b>'));
    const prAt = east.indexOf('**This PR will change** (2 objects)');
    const driftAt = east.indexOf('**Drift already in the cluster** (2 objects)');
    expect(prAt).toBeGreaterThan(0);
    expect(driftAt).toBeGreaterThan(prAt);
    const prPart = east.slice(prAt, driftAt);
    const driftPart = east.slice(driftAt);
    // The PR part reads like the PR: cluster value, then the value after the merge.
    expect(prPart).toContain('@@ /spec/replicas @@\n- 2\n+ 3');
    expect(prPart).toContain(
      `⚠️ **Merging overwrites a change made in the cluster:** <code>${IMAGE}</code> (changed in the cluster by <code>kubectl-set</code> at 2026-11-26 09:10:03 UTC).`,
    );
    expect(prPart).toContain(
      `@@ ${IMAGE} @@ (overwrites a change made in the cluster)\n- api:9.9.9\n+ api:1.43`,
    );
    expect(prPart).toContain('added by this PR (not in the cluster yet)');
    expect(prPart).not.toContain('LOG_LEVEL');
    // The drift part keeps Git first, and points at the overwritten field without repeating it.
    expect(driftPart).toContain(
      '@@ /data/LOG_LEVEL @@ by kubectl-patch at 2026-11-26 09:10:03 UTC\n- info\n+ debug',
    );
    expect(driftPart).toContain(`@@ ${IMAGE} @@ changed in the cluster by kubectl-set`);
    expect(driftPart).toContain('this PR changes it too (see above)');
    expect(driftPart).not.toContain('/spec/replicas');

    const west = body.slice(body.indexOf('<b>eu-west</b>'));
    expect(west).toContain('this PR: 1 object · drift: 0 objects');
    expect(west).toContain('**Drift already in the cluster**: none.');

    // Still well-formed: every <details> closes, the tables parse.
    const html = md.render(body);
    expect(html.split('<details').length).toBe(html.split('</details>').length);
    expect(html).toMatch(/<th[^>]*>This PR changes<\/th>/);
  });

  it('a long report still splits on object boundaries, each part under the limit', () => {
    const big = prReport();
    big.regions.push(
      ...['sa-east', 'ca-central'].map((name) => {
        const r = bigRegion(name, 150, 300);
        for (const f of r.findings) {
          f.origin = 'pr';
          for (const d of f.fields) d.origin = 'pr';
        }
        return { ...r, status: 'in-sync' as const };
      }),
    );
    const parts = renderCommentParts(big, { maxChars: 30_000 });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(30_000);
    const all = parts.join('\n');
    expect(all.split('sa-east-api-').length - 1).toBe(150);
  });

  it('a base that could not be used is said at the top, and the table is the usual one', () => {
    const r = report(
      [region('us-east', [changed('alfred-api', [field('/spec/replicas', 3, 2)])])],
      {
        source: {
          path: 'overlays',
          base: { ref: BASE, warning: `base revision ${BASE} is not in this checkout` },
        },
      },
    );
    const doc = renderMarkdownReport(r);
    expect(doc).toContain(`> ⚠️ base revision ${BASE} is not in this checkout`);
    expect(doc).toContain('| Region | Status | Objects | Missing | Changed | Extra |');
    expect(doc).not.toContain('This PR will change');
  });

  it('text: the two parts, values cluster -> PR, and the overwritten hand change', () => {
    const text = renderText(prReport());
    expect(text).toContain('us-east  drift');
    expect(text).toContain('eu-west  no drift');
    expect(text).toContain('  this PR will change  (cluster now -> after the merge):');
    expect(text).toContain('      /spec/replicas: 2 -> 3');
    expect(text).toContain(
      `      ${IMAGE}: "api:9.9.9" -> "api:1.43"  OVERWRITES a change made in the cluster (kubectl-set, Update, 2026-11-26T09:10:03Z)`,
    );
    expect(text).toContain('  drift already in the cluster  (git -> live):');
    expect(text).toContain('      /data/LOG_LEVEL: "info" -> "debug"');
    expect(text).toContain(
      `      ${IMAGE}: changed in the cluster (kubectl-set, Update, 2026-11-26T09:10:03Z); this PR changes it too (see above)`,
    );
    expect(text).toContain('this PR changes 2 regions (compared with base bbbbbbbbbbbb)');
  });

  it('matches the JSON Schema (origins, base) and survives aggregate mode', () => {
    const validate = reportSchemaValidator();
    const r = prReport();
    expect(validate(JSON.parse(JSON.stringify(r))), JSON.stringify(validate.errors)).toBe(true);
    const broken = JSON.parse(JSON.stringify(r)) as {
      regions: Array<{ findings: Array<{ origin: string }> }>;
    };
    broken.regions[0].findings[0].origin = 'maybe';
    expect(validate(broken)).toBe(false);

    const split = (names: string[]) =>
      JSON.stringify({ ...r, regions: r.regions.filter((x) => names.includes(x.name)) });
    const combined = aggregateReports([
      { file: 'a.json', text: split(['us-east']) },
      { file: 'b.json', text: split(['eu-west', 'ap-southeast']) },
    ]);
    expect(combined.source.base).toEqual({ ref: BASE, revision: BASE });
    expect(renderCommentParts(combined)).toEqual(renderCommentParts(r));
  });

  it('aggregate mode refuses reports compared with different bases, and checks origins', () => {
    const other = JSON.stringify(
      prReport({
        source: {
          path: 'overlays',
          revision: 'a'.repeat(40),
          base: { ref: 'c', revision: 'c'.repeat(40) },
        },
        regions: [region('sa-east')],
      }),
    );
    expect(() =>
      aggregateReports([
        { file: 'a.json', text: JSON.stringify(prReport()) },
        { file: 'b.json', text: other },
      ]),
    ).toThrow(
      `b.json: source.base.revision: is ${'c'.repeat(40)} but a.json is ${BASE}; the reports compare with different base commits`,
    );
    const bad = prReport();
    (bad.regions[0].findings[0].fields[0] as { origin: string }).origin = 'guess';
    expect(() => aggregateReports([{ file: 'x.json', text: JSON.stringify(bad) }])).toThrow(
      'x.json: regions[0].findings[0].fields[0].origin: expected one of pr, drift, both',
    );
  });

  it('a job without the base commit: its regions say why they carry no origin', () => {
    const without = report(
      [region('sa-east', [changed('alfred-api', [field('/spec/replicas', 3, 2)])])],
      {
        source: {
          path: 'overlays',
          revision: 'a'.repeat(40),
          base: { ref: BASE, warning: 'not in this checkout' },
        },
      },
    );
    const combined = aggregateReports([
      { file: 'a.json', text: JSON.stringify(prReport()) },
      { file: 'b.json', text: JSON.stringify(without) },
    ]);
    expect(combined.source.base).toEqual({ ref: BASE, revision: BASE });
    expect(combined.regions.find((x) => x.name === 'sa-east')!.warnings).toEqual([
      'not in this checkout',
    ]);
  });

  it('annotations: drift and overwritten hand changes, not the PR’s own changes', () => {
    const notes = planAnnotations(prReport());
    expect(notes.map((a) => a.title)).toEqual(['mr-drift: drift in us-east']);
    expect(notes[0].message).toContain('Deployment alfred/alfred-api');
    expect(notes[0].message).toContain('ConfigMap alfred/alfred-config');
    expect(notes[0].message).not.toContain('alfred-flags');
  });
});
