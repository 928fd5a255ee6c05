import type { DriftReport, FieldDiff, Finding, RegionReport } from '../../src/core/report/model';

/**
 * Builders for hand-made drift reports, used by the pure rendering tests (Markdown,
 * splitting, aggregation, annotations). Drift verdicts themselves are tested against the
 * real clusters; these only feed the presentation layer.
 */

/** Fields to set; one given as undefined is left without a value (as a test may want). */
type Patch<T> = { [K in keyof T]?: T[K] | undefined };
export function report(regions: RegionReport[], extra: Partial<DriftReport> = {}): DriftReport {
  return {
    schemaVersion: 1,
    tool: { name: 'mr-drift', version: '0.1.0' },
    generatedAt: '2026-11-26T09:30:00.000Z',
    mode: 'server-side',
    source: { path: 'overlays', revision: '0123456789abcdef0123456789abcdef01234567' },
    regions,
    ...extra,
  };
}

export function region(
  name: string,
  findings: Finding[] = [],
  extra: Patch<RegionReport> = {},
): RegionReport {
  return {
    name,
    context: name,
    status: findings.length > 0 ? 'drift' : 'in-sync',
    objects: 12,
    findings,
    ...extra,
  } as RegionReport;
}

export function changed(name: string, fields: FieldDiff[], extra: Patch<Finding> = {}): Finding {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: 'alfred',
    name,
    type: 'changed',
    source: 'overlays/regions/us-east/kustomization.yaml',
    fields,
    ...extra,
  } as Finding;
}

export function field(
  path: string,
  desired: unknown,
  live: unknown,
  extra: Partial<FieldDiff> = {},
): FieldDiff {
  return {
    path,
    desired,
    live,
    manager: 'kubectl-edit',
    time: '2026-11-26T09:10:03Z',
    operation: 'Update',
    ...extra,
  };
}

/** A region with `count` drifted Deployments, each with one field of `valueSize` characters. */
export function bigRegion(name: string, count: number, valueSize: number): RegionReport {
  const findings: Finding[] = [];
  for (let i = 0; i < count; i++) {
    findings.push(
      changed(`${name}-api-${String(i).padStart(4, '0')}`, [
        field('/metadata/annotations/note', 'a'.repeat(valueSize), 'b'.repeat(valueSize)),
      ]),
    );
  }
  return region(name, findings);
}
