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
    }
  >;
}

const files = [
  ...readdirSync(join(root, '.github/workflows')).map((f) => join('.github/workflows', f)),
  ...readdirSync(join(root, 'docs/examples')).map((f) => join('docs/examples', f)),
].filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'));

const load = (file: string) => parse(readFileSync(join(root, file), 'utf8')) as Workflow;
const ALLOWED: Record<string, string[]> = {
  contents: ['read'],
  'pull-requests': ['write', 'read'],
};

describe('workflows', () => {
  it('are found', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/check-dist.yml',
        '.github/workflows/drift.yml',
        'docs/examples/drift.yml',
        'docs/examples/drift-matrix.yml',
      ]),
    );
  });

  for (const file of files) {
    describe(file, () => {
      const wf = load(file);

      it('never runs on pull_request_target', () => {
        expect(Object.keys(wf.on)).not.toContain('pull_request_target');
      });

      it('asks for no more than contents: read and pull-requests: write', () => {
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
});
