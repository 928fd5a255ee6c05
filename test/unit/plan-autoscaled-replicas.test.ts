import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/adapters/templates';
import { parseConfig } from '../../src/core/config/parse-config';
import { AutoscaledReplicasError } from '../../src/core/errors';
import { planTree } from '../../src/core/plan/plan-tree';
import type { TemplateSources } from '../../src/core/plan/template-engine';

/**
 * The generator refuses any tree in which Git would set the replicas of a workload that a
 * HorizontalPodAutoscaler scales, whichever of kustomize's ways sets them. Template
 * overrides stand in for a user's (or a future template author's) mistake.
 */
const bundledConfig = readFileSync(join(import.meta.dirname, '../../mr-drift.yaml'), 'utf8');
const config = parseConfig(bundledConfig, 'mr-drift.yaml');
const options = { configName: 'mr-drift.yaml' };

/** The bundled templates with some replaced (name -> new text, or a function of the old). */
function withOverrides(over: Record<string, string | ((old: string) => string)>): TemplateSources {
  const templates = new Map(loadTemplates());
  for (const [name, text] of Object.entries(over)) {
    const old = templates.get(name);
    if (!old) throw new Error(`no bundled template ${name}`);
    const source = typeof text === 'function' ? text(old.source) : text;
    if (source === old.source) throw new Error(`override of ${name} changes nothing`);
    templates.set(name, { source, origin: `my-templates/${name}.hbs` });
  }
  return templates;
}

function problemsOf(templates: TemplateSources): AutoscaledReplicasError['problems'] {
  try {
    planTree(config, templates, options);
  } catch (err) {
    if (err instanceof AutoscaledReplicasError) return err.problems;
    throw err;
  }
  return [];
}

/** Adds `patches` entries to the region kustomization template. */
const regionPatch = (entry: string) => (old: string) =>
  old.replace(/^patches:\n/m, `patches:\n${entry}`);

describe('no replicas on a workload an HPA scales', () => {
  it('the bundled templates keep the rule (the Deployment has no replicas)', () => {
    expect(problemsOf(loadTemplates())).toEqual([]);
    const deployment = planTree(config, loadTemplates(), options).find(
      (f) => f.path === 'base/deployment.yaml',
    )!;
    expect(deployment.content).not.toMatch(/^\s*replicas:/m);
  });

  it('spec.replicas in the base Deployment: template, line, field and rendered file', () => {
    const problems = problemsOf(
      withOverrides({
        'base/deployment.yaml': (old) => old.replace(/^spec:\n/m, 'spec:\n  replicas: 2\n'),
      }),
    );
    expect(problems).toEqual([
      {
        file: 'my-templates/base/deployment.yaml.hbs',
        line: 8,
        field: 'spec.replicas',
        message:
          'sets the replicas of Deployment alfred-api, which HorizontalPodAutoscaler alfred-api ' +
          '(base/hpa.yaml) scales (rendered into base/deployment.yaml:13)',
      },
    ]);
  });

  it('every problem at once, one per template (not one per region)', () => {
    const problems = problemsOf(
      withOverrides({
        'base/deployment.yaml': (old) => old.replace(/^spec:\n/m, 'spec:\n  replicas: 2\n'),
        'region/patch-deployment.yaml': (old) =>
          old.replace(/^spec:\n/m, 'spec:\n  replicas: {{region.replicas.min}}\n'),
      }),
    );
    expect(problems.map((p) => p.file)).toEqual([
      'my-templates/base/deployment.yaml.hbs',
      'my-templates/region/patch-deployment.yaml.hbs',
    ]);
    expect(problems[1].message).toMatch(
      /rendered into regions\/us-east\/patch-deployment\.yaml:\d+ and 2 more\)$/,
    );
  });

  it('an inline JSON 6902 patch of /spec/replicas in the region kustomization', () => {
    const jsonPatch = (name: string) =>
      regionPatch(
        [
          '  - target:',
          '      kind: Deployment',
          `      name: ${name}`,
          '    patch: |-',
          '      - op: replace',
          '        path: /spec/replicas',
          '        value: 4',
          '',
        ].join('\n'),
      );
    const problems = problemsOf(
      withOverrides({ 'region/kustomization.yaml': jsonPatch('alfred-api') }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      file: 'my-templates/region/kustomization.yaml.hbs',
      line: 20, // the `path: /spec/replicas` line of the inserted entry
      field: 'patches[0]',
    });
    // Target names are regular expressions, as in kustomize.
    expect(
      problemsOf(withOverrides({ 'region/kustomization.yaml': jsonPatch('alfred-.*') })),
    ).toHaveLength(1);
    // The cache has no HPA (and ap-southeast's region-local cache is a Deployment): allowed.
    expect(
      problemsOf(withOverrides({ 'region/kustomization.yaml': jsonPatch('alfred-cache') })),
    ).toEqual([]);
  });

  it('a JSON 6902 patch file aimed at the Deployment by its kustomization entry', () => {
    const problems = problemsOf(
      withOverrides({
        'region/kustomization.yaml': (old) =>
          old.replace(
            '  - path: patch-deployment.yaml\n',
            '  - path: patch-deployment.yaml\n    target:\n      kind: Deployment\n      name: alfred-api\n',
          ),
        'region/patch-deployment.yaml':
          '- op: add\n  path: /spec/replicas\n  value: {{region.replicas.min}}\n',
      }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'my-templates/region/patch-deployment.yaml.hbs',
        line: 2,
        field: '[0].path',
      }),
    ]);
    expect(problems[0].message).toMatch(
      /rendered into regions\/us-east\/patch-deployment\.yaml:5 /,
    );
  });

  it("the kustomization's replicas field, by name", () => {
    const replicas = (name: string) => (old: string) =>
      `${old}replicas:\n  - name: ${name}\n    count: 3\n`;
    expect(
      problemsOf(withOverrides({ 'region/kustomization.yaml': replicas('alfred-api') })),
    ).toEqual([expect.objectContaining({ field: 'replicas[0]' })]);
    expect(
      problemsOf(withOverrides({ 'region/kustomization.yaml': replicas('alfred-cache') })),
    ).toEqual([]);
  });

  it('an HPA a region template adds for a workload whose replicas Git sets', () => {
    const hpa = [
      '---',
      'apiVersion: autoscaling/v2',
      'kind: HorizontalPodAutoscaler',
      'metadata:',
      '  name: {{names.cache}}',
      'spec:',
      '  scaleTargetRef:',
      '    apiVersion: apps/v1',
      '    kind: Deployment',
      '    name: {{names.cache}}',
      '  minReplicas: 1',
      '  maxReplicas: 3',
      '',
    ].join('\n');
    const problems = problemsOf(
      withOverrides({ 'region/cache-region-local.yaml': (old) => old + hpa }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'my-templates/region/cache-region-local.yaml.hbs',
        field: 'spec.replicas',
      }),
    ]);
    expect(problems[0].message).toContain('Deployment alfred-cache');
    expect(problems[0].message).toContain('(regions/ap-southeast/cache.yaml)');
  });

  it('the CLI-facing message lists every problem and says what to do', () => {
    const err = (() => {
      try {
        planTree(
          config,
          withOverrides({
            'base/deployment.yaml': (old) => old.replace(/^spec:\n/m, 'spec:\n  replicas: 2\n'),
          }),
          options,
        );
      } catch (e) {
        return e as AutoscaledReplicasError;
      }
      throw new Error('planTree accepted replicas on the HPA target');
    })();
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      '1 template would set replicas that a HorizontalPodAutoscaler owns:\n' +
        '  my-templates/base/deployment.yaml.hbs:8: spec.replicas: sets the replicas of ' +
        'Deployment alfred-api, which HorizontalPodAutoscaler alfred-api (base/hpa.yaml) ' +
        'scales (rendered into base/deployment.yaml:13)',
    );
    expect(err.hint).toMatch(/regions\[\]\.replicas/);
  });
});
