import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

// The repository's workflows and the documented examples: valid YAML, least privilege,
// never `pull_request_target`, and CI covering every check the project promises.

const root = new URL('../..', import.meta.url).pathname;

interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<
    string,
    {
      permissions?: Record<string, string>;
      steps: Array<{ uses?: string; run?: string; with?: Record<string, unknown> }>;
      strategy?: { matrix?: Record<string, unknown> };
    }
  >;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
}

const files = [
  ...readdirSync(join(root, '.github/workflows')).map((f) => join('.github/workflows', f)),
  ...readdirSync(join(root, 'docs/examples')).map((f) => join('docs/examples', f)),
].filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'));

const load = (file: string) => parse(readFileSync(join(root, file), 'utf8')) as Workflow;
const ALLOWED: Record<string, string[]> = {
  contents: ['read'],
  'pull-requests': ['write', 'read'],
  issues: ['write', 'read'],
};

type Job = Workflow['jobs'][string];
const mrDriftStep = (job: Job) =>
  job.steps.find((s) => s.uses === './' || s.uses?.startsWith('alfred/mr-drift@'));
/** Whether the workflow runs on an event where `issue: auto` keeps the drift issue. */
const hasIssueEvents = (wf: Workflow) =>
  Object.keys(wf.on).some((e) => e === 'schedule' || e === 'workflow_dispatch');
/** Whether this job's mr-drift step keeps the drift issue in this workflow. */
const keepsIssue = (wf: Workflow, job: Job) => {
  const issue = mrDriftStep(job)?.with?.issue;
  if (!mrDriftStep(job) || issue === false || issue === 'false') return false;
  return issue === true || issue === 'true' || hasIssueEvents(wf);
};

describe('workflows', () => {
  it('are found', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/check-dist.yml',
        '.github/workflows/drift.yml',
        '.github/workflows/drift-nightly.yml',
        'docs/examples/drift.yml',
        'docs/examples/drift-matrix.yml',
        'docs/examples/drift-nightly.yml',
      ]),
    );
  });

  for (const file of files) {
    describe(file, () => {
      const wf = load(file);

      it('never runs on pull_request_target', () => {
        expect(Object.keys(wf.on)).not.toContain('pull_request_target');
      });

      it('asks for no more than contents: read, pull-requests: write and issues: write', () => {
        const blocks = [wf.permissions, ...Object.values(wf.jobs).map((j) => j.permissions)];
        expect(wf.permissions, 'a workflow-level permissions block').toBeDefined();
        for (const block of blocks.filter(Boolean)) {
          for (const [scope, level] of Object.entries(block!)) {
            expect(ALLOWED[scope], `scope ${scope}`).toBeDefined();
            expect(ALLOWED[scope]).toContain(level);
          }
        }
      });

      it('gives pull-requests: write only to jobs that comment', () => {
        for (const [name, job] of Object.entries(wf.jobs)) {
          const perms = { ...wf.permissions, ...job.permissions };
          if (perms['pull-requests'] !== 'write') continue;
          const action = job.steps.find(
            (s) => s.uses === './' || s.uses?.startsWith('alfred/mr-drift@'),
          );
          expect(
            action,
            `job ${name} has pull-requests: write but runs no mr-drift step`,
          ).toBeDefined();
          expect(action!.with?.comment, `job ${name}`).not.toBe(false);
        }
      });

      it('gives issues: write only to jobs that keep the drift issue, and to each of them', () => {
        for (const [name, job] of Object.entries(wf.jobs)) {
          const perms = { ...wf.permissions, ...job.permissions };
          if (perms.issues === 'write') {
            expect(keepsIssue(wf, job), `job ${name} has issues: write but keeps no issue`).toBe(
              true,
            );
          } else if (mrDriftStep(job)) {
            expect(keepsIssue(wf, job), `job ${name} keeps the issue without issues: write`).toBe(
              false,
            );
          }
        }
      });
    });
  }

  it('CI runs format, lint, typecheck, unit and integration tests and generate --check', () => {
    const runs = Object.values(load('.github/workflows/ci.yml').jobs)
      .flatMap((j) => j.steps)
      .map((s) => s.run ?? '');
    for (const cmd of [
      'npm run format:check',
      'npm run lint',
      'npm run typecheck',
      'npm run test:unit',
      'npm run test:integration',
      'npm run generate -- --check',
    ]) {
      expect(runs).toContain(cmd);
    }
    const dist = Object.values(load('.github/workflows/check-dist.yml').jobs).flatMap(
      (j) => j.steps,
    );
    expect(dist.map((s) => s.run)).toContain('npm run check-dist');
  });

  it('CI tests on Node 20 and on Node 24, the runtime action.yml declares', () => {
    const action = load('action.yml') as unknown as { runs: { using: string } };
    expect(action.runs.using).toBe('node24');
    const jobs = Object.values(
      load('.github/workflows/ci.yml').jobs as Record<
        string,
        { strategy?: { matrix?: { node?: number[] } } }
      >,
    );
    expect(jobs.map((j) => j.strategy?.matrix?.node)).toEqual([
      [20, 24],
      [20, 24],
    ]);
    // And the repository's own CI script runs the tests on Node 24 too.
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toContain('bash .ci/node24-tests');
  });

  it('the matrix example uploads one report per region and aggregates them in one job', () => {
    const wf = load('docs/examples/drift-matrix.yml');
    const check = wf.jobs.check;
    const action = check.steps.find((s) => s.uses?.startsWith('alfred/mr-drift@'))!;
    expect(action.with).toMatchObject({ comment: false, regions: '${{ matrix.region }}' });
    expect(check.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
    const report = wf.jobs.report;
    const aggregate = report.steps.find((s) => s.uses?.startsWith('alfred/mr-drift@'))!;
    expect(aggregate.with?.aggregate).toBe('reports');
    expect(report.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
  });

  it('the nightly example: a schedule, a matrix over regions, one aggregate job keeping the issue', () => {
    const wf = load('docs/examples/drift-nightly.yml');
    expect(Object.keys(wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect((wf.on.schedule as Array<{ cron: string }>)[0].cron).toMatch(/^\S+ \S+ \* \* \*$/);
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(wf.concurrency).toMatchObject({ group: 'mr-drift-nightly' });
    const check = wf.jobs.check;
    expect(check.strategy?.matrix?.region).toEqual(['us-east', 'eu-west', 'ap-southeast']);
    expect(check.permissions).toBeUndefined();
    expect(mrDriftStep(check)!.with).toMatchObject({
      regions: '${{ matrix.region }}',
      issue: false,
      comment: false,
    });
    expect(check.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
    const report = wf.jobs.report;
    expect(report.permissions).toEqual({ contents: 'read', issues: 'write' });
    expect(mrDriftStep(report)!.with).toMatchObject({ aggregate: 'reports', issue: true });
    expect(report.steps.some((s) => s.uses?.startsWith('actions/download-artifact@'))).toBe(true);
  });

  it('the pull request workflows keep no issue and ask for no issues permission', () => {
    for (const file of [
      '.github/workflows/drift.yml',
      'docs/examples/drift.yml',
      'docs/examples/drift-matrix.yml',
    ]) {
      const wf = load(file);
      expect(Object.keys(wf.on), file).toEqual(['pull_request']);
      for (const job of Object.values(wf.jobs)) {
        expect({ ...wf.permissions, ...job.permissions }.issues, file).toBeUndefined();
      }
    }
  });

  it('docs/action.md shows the nightly example exactly as docs/examples has it', () => {
    const doc = readFileSync(join(root, 'docs/action.md'), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Nightly drift check\n'));
    expect(section.length).toBeLessThan(doc.length);
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBe(readFileSync(join(root, 'docs/examples/drift-nightly.yml'), 'utf8'));
  });
});
