import { ReportFileError, type Problem } from '../errors';
import {
  REPORT_SCHEMA_VERSION,
  type BaseSource,
  type DriftReport,
  type FieldDiff,
  type Finding,
  type RegionReport,
} from './model';
import { computeSkew, SKEW_FINGERPRINT_CHARS } from './skew';

/**
 * Aggregate mode: a matrix of jobs checks one region each and uploads its JSON report;
 * a final job combines them into one report, so one comment covers every region.
 * Reports are plain data (see model.ts), so combining is concatenating regions after
 * checking that the reports belong together.
 */

/** One report file as read from disk: its name (for messages) and its text. */
export interface ReportFile {
  file: string;
  text: string;
}

const MODES = ['server-side', 'read-only'];
const STATUSES = ['in-sync', 'drift', 'error'];
const TYPES = ['missing', 'changed', 'extra'];
const ORIGINS = ['pr', 'drift', 'both'];

/**
 * Parses and checks one report file. Collects every structural problem (with the field
 * path) instead of stopping at the first, and never quotes values from the file: a
 * report may hold Secret fingerprints and the messages end up in logs.
 */
export function parseReportFile(input: ReportFile): { report?: DriftReport; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (field: string | undefined, message: string) =>
    problems.push({ file: input.file, ...(field ? { field } : {}), message });
  let data: unknown;
  try {
    data = JSON.parse(input.text);
  } catch (err) {
    // JSON.parse messages quote the text around the error; keep only the position.
    const pos = /position (\d+)/.exec((err as Error).message);
    const where = pos ? lineAndColumn(input.text, Number(pos[1])) : undefined;
    problems.push({
      file: input.file,
      ...(where ?? {}),
      message: 'not valid JSON (expected a drift report written by mr-drift)',
    });
    return { problems };
  }
  if (!isObject(data)) {
    problem(undefined, 'expected a JSON object (a drift report)');
    return { problems };
  }
  if (data.schemaVersion !== REPORT_SCHEMA_VERSION) {
    problem(
      'schemaVersion',
      `expected ${REPORT_SCHEMA_VERSION}; this report was written by another mr-drift version`,
    );
  }
  if (!isObject(data.tool) || typeof data.tool.name !== 'string') {
    problem('tool', 'expected {name, version}');
  }
  if (typeof data.generatedAt !== 'string') problem('generatedAt', 'expected an ISO 8601 time');
  if (!MODES.includes(data.mode as string)) problem('mode', `expected one of ${MODES.join(', ')}`);
  if (!isObject(data.source) || typeof data.source.path !== 'string') {
    problem('source.path', 'expected a string');
  }
  if (!Array.isArray(data.regions)) {
    problem('regions', 'expected an array of regions');
  } else {
    data.regions.forEach((r, i) => checkRegion(r, `regions[${i}]`, problem));
  }
  return problems.length > 0 ? { problems } : { report: data as unknown as DriftReport, problems };
}

function checkRegion(
  r: unknown,
  at: string,
  problem: (field: string, message: string) => void,
): void {
  if (!isObject(r)) return problem(at, 'expected an object');
  if (typeof r.name !== 'string' || r.name === '') problem(`${at}.name`, 'expected a region name');
  if (!STATUSES.includes(r.status as string)) {
    problem(`${at}.status`, `expected one of ${STATUSES.join(', ')}`);
  }
  if (r.skewDigest !== undefined) checkDigest(r.skewDigest, `${at}.skewDigest`, problem);
  if (!Array.isArray(r.findings)) return problem(`${at}.findings`, 'expected an array');
  r.findings.forEach((f, j) => {
    const fat = `${at}.findings[${j}]`;
    if (!isObject(f)) return problem(fat, 'expected an object');
    for (const key of ['apiVersion', 'kind', 'name'] as const) {
      if (typeof f[key] !== 'string') problem(`${fat}.${key}`, 'expected a string');
    }
    if (!TYPES.includes(f.type as string)) {
      problem(`${fat}.type`, `expected one of ${TYPES.join(', ')}`);
    }
    if (f.origin !== undefined && !ORIGINS.includes(f.origin as string)) {
      problem(`${fat}.origin`, `expected one of ${ORIGINS.join(', ')}`);
    }
    if (!Array.isArray(f.fields)) return problem(`${fat}.fields`, 'expected an array');
    f.fields.forEach((d, k) => {
      if (!isObject(d) || typeof d.path !== 'string') {
        problem(`${fat}.fields[${k}].path`, 'expected a JSON pointer string');
      } else if (d.origin !== undefined && !ORIGINS.includes(d.origin as string)) {
        problem(`${fat}.fields[${k}].origin`, `expected one of ${ORIGINS.join(', ')}`);
      }
    });
  });
}

/** `SkewDigest.same`: whole fingerprints, nothing else. */
const FINGERPRINTS = new RegExp(`^(?:[A-Za-z0-9_-]{${SKEW_FINGERPRINT_CHARS}})*$`);

/** The digest is read by `computeSkew`: its shape must hold, values may be anything. */
function checkDigest(
  d: unknown,
  at: string,
  problem: (field: string, message: string) => void,
): void {
  if (!isObject(d) || !Array.isArray(d.differs)) {
    return problem(
      at,
      'expected {same, differs} (a report written by another mr-drift version has another digest)',
    );
  }
  if (typeof d.same !== 'string' || !FINGERPRINTS.test(d.same)) {
    problem(
      `${at}.same`,
      `expected ${SKEW_FINGERPRINT_CHARS}-character base64url fingerprints, concatenated`,
    );
  }
  d.differs.forEach((f, i) => {
    const fat = `${at}.differs[${i}]`;
    if (!isObject(f)) return problem(fat, 'expected an object');
    for (const key of ['apiVersion', 'kind', 'name', 'path'] as const) {
      if (typeof f[key] !== 'string') problem(`${fat}.${key}`, 'expected a string');
    }
    if (!isObject(f.desired) || !isObject(f.live)) problem(fat, 'expected {desired, live} objects');
  });
}

/**
 * Combines reports of disjoint region sets into one. Fails (with every problem listed)
 * when reports disagree on what they describe: the same region twice, different
 * comparison modes, or different Git revisions.
 */
export function aggregateReports(
  files: ReportFile[],
  options: {
    /** Regions that must be present; one without a report becomes an `error` region. */
    expectRegions?: string[];
  } = {},
): DriftReport {
  if (files.length === 0 && !options.expectRegions?.length) {
    throw new ReportFileError([{ file: '(aggregate input)', message: 'no report files found' }]);
  }
  const parsed = files.map((f) => ({ file: f.file, ...parseReportFile(f) }));
  const problems = parsed.flatMap((p) => p.problems);
  if (problems.length > 0) throw new ReportFileError(problems);
  const reports = parsed.map((p) => ({ file: p.file, report: p.report! }));

  if (reports.length === 0) {
    // Every region job failed before writing a report: still one honest report.
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: { name: 'mr-drift', version: 'unknown' },
      generatedAt: new Date(0).toISOString(),
      mode: 'server-side',
      source: { path: '' },
      regions: (options.expectRegions ?? []).map(missingRegion),
    };
  }
  const first = reports[0];
  const seen = new Map<string, string>();
  for (const { file, report } of reports) {
    if (report.mode !== first.report.mode) {
      problems.push({
        file,
        field: 'mode',
        message: `is ${report.mode} but ${first.file} is ${first.report.mode}; check every region in the same mode`,
      });
    }
    // Origins only combine when every job compared with the same base commit.
    const baseA = first.report.source.base?.revision;
    const baseB = report.source.base?.revision;
    if (baseA && baseB && baseA !== baseB) {
      problems.push({
        file,
        field: 'source.base.revision',
        message: `is ${baseB} but ${first.file} is ${baseA}; the reports compare with different base commits`,
      });
    }
    const a = first.report.source.revision;
    const b = report.source.revision;
    if (a && b && a !== b) {
      problems.push({
        file,
        field: 'source.revision',
        message: `is ${b} but ${first.file} is ${a}; the reports come from different commits (stale artifacts?)`,
      });
    }
    report.regions.forEach((r, i) => {
      const other = seen.get(r.name);
      if (other !== undefined) {
        problems.push({
          file,
          field: `regions[${i}].name`,
          message: `region ${r.name} is also in ${other}; each region must be checked by one job only`,
        });
      } else {
        seen.set(r.name, file);
      }
    });
  }
  if (problems.length > 0) throw new ReportFileError(problems);

  const paths = [...new Set(reports.map((r) => r.report.source.path))];
  const revision = reports.map((r) => r.report.source.revision).find((x) => x !== undefined);
  const base = baseOf(reports.map((r) => r.report));
  const regions: RegionReport[] = reports.flatMap((r) =>
    r.report.regions.map((region) => withBaseWarning(copyRegion(region), r.report, base.base)),
  );
  for (const name of options.expectRegions ?? []) {
    if (!seen.has(name)) regions.push(missingRegion(name));
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { ...first.report.tool },
    generatedAt: reports
      .map((r) => r.report.generatedAt)
      .reduce((latest, t) => (t > latest ? t : latest)),
    mode: first.report.mode,
    source: {
      path: paths.join(', '),
      ...(revision ? { revision } : {}),
      ...base,
    },
    regions,
    ...skewOf(regions),
  };
}

/** Skew across every region's digest: the same answer one run over all regions gives. */
function skewOf(regions: RegionReport[]): Pick<DriftReport, 'skew'> {
  const skew = computeSkew(regions);
  return skew.length > 0 ? { skew } : {};
}

/**
 * The base of the combined report: a usable one when any job had it (their findings carry
 * origins), else the first job's warning, so the comment still says why origins are absent.
 */
function baseOf(reports: DriftReport[]): Pick<DriftReport['source'], 'base'> {
  const bases = reports.map((r) => r.source.base).filter((b) => b !== undefined);
  const base = bases.find((b) => b.revision !== undefined && !b.warning) ?? bases[0];
  return base ? { base: { ...base } } : {};
}

/**
 * A job whose base was unusable while others had it: its regions say why their differences
 * carry no origin (the combined report's base is the usable one).
 */
function withBaseWarning(
  region: RegionReport,
  report: DriftReport,
  combined: BaseSource | undefined,
): RegionReport {
  const warning = report.source.base?.warning;
  if (!warning || combined?.warning || region.status === 'error') return region;
  return { ...region, warnings: [...(region.warnings ?? []), warning] };
}

function missingRegion(name: string): RegionReport {
  return {
    name,
    status: 'error',
    error:
      'no report was found for this region: its job failed or did not upload its report (see that job’s log)',
    findings: [],
  };
}

function copyRegion(r: RegionReport): RegionReport {
  return {
    ...r,
    findings: r.findings.map((f: Finding) => ({
      ...f,
      fields: f.fields.map((d: FieldDiff) => ({ ...d })),
    })),
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}
