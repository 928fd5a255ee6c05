import { describe, expect, it } from 'vitest';
import { aggregateReports, parseReportFile } from '../../src/core/report/aggregate';
import { ReportFileError } from '../../src/core/errors';
import { changed, field, region, report } from '../support/reports';

const file = (name: string, data: unknown) => ({ file: name, text: JSON.stringify(data) });

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ReportFileError);
    return (err as Error).message;
  }
  throw new Error('expected a ReportFileError');
}

describe('aggregateReports', () => {
  it('combines per-region reports into one, keeping every region and finding', () => {
    const east = report([region('us-east', [changed('api', [field('/spec/replicas', 3, 5)])])], {
      generatedAt: '2026-11-26T09:30:00.000Z',
    });
    const west = report([region('eu-west')], { generatedAt: '2026-11-26T09:31:00.000Z' });
    const ap = report([region('ap-southeast', [], { status: 'error', error: 'unreachable' })], {
      generatedAt: '2026-11-26T09:29:00.000Z',
    });
    const combined = aggregateReports([
      file('reports/drift-us-east/report.json', east),
      file('reports/drift-eu-west/report.json', west),
      file('reports/drift-ap-southeast/report.json', ap),
    ]);
    expect(combined.regions.map((r) => [r.name, r.status])).toEqual([
      ['us-east', 'drift'],
      ['eu-west', 'in-sync'],
      ['ap-southeast', 'error'],
    ]);
    expect(combined.regions[0].findings).toEqual(east.regions[0].findings);
    expect(combined.generatedAt).toBe('2026-11-26T09:31:00.000Z');
    expect(combined.mode).toBe('server-side');
    expect(combined.source).toEqual(east.source);
  });

  it('survives a JSON round trip unchanged (reports are plain data)', () => {
    const r = report([region('us-east', [changed('api', [field('/spec/replicas', 3, 5)])])]);
    const combined = aggregateReports([file('a.json', r)]);
    expect(JSON.parse(JSON.stringify(combined))).toEqual(r);
  });

  it('rejects the same region in two files, naming both', () => {
    const msg = problemsOf(() =>
      aggregateReports([
        file('a.json', report([region('us-east')])),
        file('b.json', report([region('us-east')])),
      ]),
    );
    expect(msg).toContain('b.json: regions[0].name: region us-east is also in a.json');
  });

  it('rejects reports of different modes or different commits', () => {
    const msg = problemsOf(() =>
      aggregateReports([
        file('a.json', report([region('us-east')])),
        file('b.json', report([region('eu-west')], { mode: 'read-only' })),
        file(
          'c.json',
          report([region('ap-southeast')], { source: { path: 'overlays', revision: 'feedface' } }),
        ),
      ]),
    );
    expect(msg).toContain('2 problems');
    expect(msg).toContain('b.json: mode: is read-only but a.json is server-side');
    expect(msg).toContain('c.json: source.revision: is feedface');
  });

  it('lists every structural problem with its file and field, without quoting values', () => {
    const bad = {
      schemaVersion: 7,
      tool: { name: 'mr-drift', version: 'x' },
      generatedAt: 'now',
      mode: 'sideways',
      source: { path: 'overlays' },
      regions: [
        {
          name: 'us-east',
          status: 'drift',
          findings: [
            {
              apiVersion: 'v1',
              kind: 'Secret',
              name: 's',
              type: 'gone',
              fields: [{ desired: 'hunter2' }],
            },
          ],
        },
        { name: '', status: 'fine', findings: null },
      ],
    };
    const msg = problemsOf(() => aggregateReports([file('bad.json', bad)]));
    expect(msg).toContain('bad.json: schemaVersion: expected 1');
    expect(msg).toContain('bad.json: mode: expected one of server-side, read-only');
    expect(msg).toContain(
      'bad.json: regions[0].findings[0].type: expected one of missing, changed, extra',
    );
    expect(msg).toContain(
      'bad.json: regions[0].findings[0].fields[0].path: expected a JSON pointer string',
    );
    expect(msg).toContain('bad.json: regions[1].name: expected a region name');
    expect(msg).toContain('bad.json: regions[1].status');
    expect(msg).toContain('bad.json: regions[1].findings: expected an array');
    expect(msg).not.toContain('hunter2');
  });

  it('reports unreadable JSON with a position and without echoing the text', () => {
    const parsed = parseReportFile({ file: 'x.json', text: '{"secret": "hunter2",\n  oops }' });
    expect(parsed.report).toBeUndefined();
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0].message).toContain('not valid JSON');
    expect(JSON.stringify(parsed.problems)).not.toContain('hunter2');
  });

  it('turns an expected region without a report into an error region', () => {
    const combined = aggregateReports([file('a.json', report([region('us-east')]))], {
      expectRegions: ['us-east', 'eu-west'],
    });
    expect(combined.regions.map((r) => [r.name, r.status])).toEqual([
      ['us-east', 'in-sync'],
      ['eu-west', 'error'],
    ]);
    expect(combined.regions[1].error).toContain('no report was found for this region');
    // Even with no report at all, the regions show up as errors rather than vanishing.
    const none = aggregateReports([], { expectRegions: ['us-east'] });
    expect(none.regions.map((r) => r.status)).toEqual(['error']);
  });

  it('needs at least one report', () => {
    expect(problemsOf(() => aggregateReports([]))).toContain('no report files found');
  });
});
