import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/parse-config';
import {
  deploymentFor,
  readTreeDeployments,
  type TreeFile,
} from '../../src/core/engine/tree-deployments';
import { formatProblem } from '../../src/core/errors';

const appSet = (rules: string[], extra: string[] = []): TreeFile => ({
  path: 'overlays/argocd/applicationset.yaml',
  text: [
    'apiVersion: argoproj.io/v1alpha1', // 1
    'kind: ApplicationSet', // 2
    'metadata:', // 3
    '  name: alfred', // 4
    'spec:', // 5
    '  goTemplate: true', // 6
    '  generators:', // 7
    '    - list:', // 8
    '        elements:', // 9
    '          - region: us-east', // 10
    '          - region: eu-west', // 11
    '  template:', // 12
    '    metadata:', // 13
    '      name: "alfred-{{.region}}"', // 14
    '      annotations:', // 15
    '        argocd.argoproj.io/compare-options: ServerSideDiff=true, IncludeMutationWebhook=true', // 16
    '    spec:', // 17
    '      source:', // 18
    '        path: "overlays/regions/{{ .region }}/"', // 19
    '      syncPolicy:', // 20
    '        syncOptions: [ServerSideApply=true]', // 21
    '      ignoreDifferences:', // 22
    ...rules,
    ...extra,
  ].join('\n'),
});

describe('the GitOps tree: who deploys each region, with which settings', () => {
  it('expands an ApplicationSet list generator into one Application per element', () => {
    const tree = readTreeDeployments([
      appSet([
        '        - group: apps', // 23
        '          kind: Deployment', // 24
        '          jqPathExpressions: [".spec.replicas"]', // 25
      ]),
    ]);
    expect(tree.problems).toEqual([]);
    expect(tree.deployments.map((d) => [d.name, d.paths])).toEqual([
      ['Argo CD Application alfred-us-east (ApplicationSet alfred)', ['overlays/regions/us-east']],
      ['Argo CD Application alfred-eu-west (ApplicationSet alfred)', ['overlays/regions/eu-west']],
    ]);
    const east = deploymentFor(tree.deployments, './overlays/regions/us-east').deployment!;
    expect(east.engine).toBe('argocd');
    expect(east.syncOptions).toEqual(['ServerSideApply=true']);
    expect(east.compareOptions).toEqual(['ServerSideDiff=true', 'IncludeMutationWebhook=true']);
    expect(east.ignoreDifferences.map((r) => [r.label, r.engine, r.rule])).toEqual([
      [
        'Argo CD Application alfred-us-east (ApplicationSet alfred) spec.ignoreDifferences[0] (overlays/argocd/applicationset.yaml)',
        'argocd',
        { group: 'apps', kind: 'Deployment', jqPathExpressions: ['.spec.replicas'] },
      ],
    ]);
    expect(deploymentFor(tree.deployments, 'overlays/regions/ap-southeast')).toEqual({});
  });

  it('reports invalid rules once, with file, line and field', () => {
    const tree = readTreeDeployments([
      appSet([
        '        - kind: Deployment', // 23
        '          jsonPointers: [spec/replicas]', // 24
        '        - kind: ConfigMap', // 25
        '          jqPathExpressions: [".data | .[$k]"]', // 26
        '          colour: red', // 27
      ]),
    ]);
    expect(tree.problems.map(formatProblem)).toEqual([
      'overlays/argocd/applicationset.yaml:24:26: spec.template.spec.ignoreDifferences[0].jsonPointers[0]: "spec/replicas" is not a JSON pointer: start it with / (e.g. /spec/replicas; list items by position, /spec/template/spec/containers/0/image)',
      'overlays/argocd/applicationset.yaml:26:31: spec.template.spec.ignoreDifferences[1].jqPathExpressions[0]: ".data | .[$k]": variables ($name) are not supported in a path expression (at character 11)',
      'overlays/argocd/applicationset.yaml:27:11: spec.template.spec.ignoreDifferences[1].colour: unknown field; allowed here: group, kind, name, namespace, jsonPointers, jqPathExpressions, managedFieldsManagers',
    ]);
  });

  it('matches the template of other generators with placeholders standing for a folder', () => {
    const text = appSet([
      '        - kind: ConfigMap',
      '          jsonPointers: [/data]',
    ]).text.replace(
      '    - list:\n        elements:\n          - region: us-east\n          - region: eu-west',
      '    - clusters: {}',
    );
    const tree = readTreeDeployments([{ path: 'set.yaml', text }]);
    expect(tree.warnings).toEqual([
      'ApplicationSet alfred (set.yaml) has generators other than `list`: its template is matched to the regions with each placeholder standing for any folder name',
    ]);
    expect(deploymentFor(tree.deployments, 'overlays/regions/ap-southeast').deployment?.name).toBe(
      'Argo CD Application alfred-{{.region}} (ApplicationSet alfred)',
    );
    expect(deploymentFor(tree.deployments, 'overlays/regions/a/b')).toEqual({});
  });

  it('reads Applications (one or several sources) and Flux Kustomizations with their rules', () => {
    const tree = readTreeDeployments([
      {
        path: 'apps.yaml',
        text: [
          'apiVersion: argoproj.io/v1alpha1',
          'kind: Application',
          'metadata: {name: web}',
          'spec:',
          '  sources:',
          '    - {repoURL: x, path: ./deploy/web}',
          '    - {repoURL: y, chart: z}',
          '---',
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'resources: [a.yaml]',
          '---',
          'apiVersion: kustomize.toolkit.fluxcd.io/v1',
          'kind: Kustomization',
          'metadata:',
          '  name: api',
          '  annotations:',
          '    mr-drift.io/ignore-differences: |',
          '      - group: apps',
          '        kind: Deployment',
          '        managedFieldsManagers: [hpa-controller]',
          'spec:',
          '  path: ./deploy/api',
        ].join('\n'),
      },
    ]);
    expect(tree.problems).toEqual([]);
    expect(deploymentFor(tree.deployments, 'deploy/web').deployment?.name).toBe(
      'Argo CD Application web',
    );
    const api = deploymentFor(tree.deployments, 'deploy/api').deployment!;
    expect(api.engine).toBe('flux');
    expect(api.ignoreDifferences.map((r) => [r.label, r.engine, r.rule])).toEqual([
      [
        'the ignore rule 0 of Flux Kustomization api (mr-drift.io/ignore-differences, apps.yaml)',
        undefined,
        { group: 'apps', kind: 'Deployment', managedFieldsManagers: ['hpa-controller'] },
      ],
    ]);
  });

  it('says which one counts when two deploy the same folder', () => {
    const app = (name: string) =>
      `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: ${name}}\nspec: {source: {path: deploy}}\n`;
    const tree = readTreeDeployments([{ path: 'a.yaml', text: `${app('one')}---\n${app('two')}` }]);
    expect(deploymentFor(tree.deployments, 'deploy')).toEqual({
      deployment: tree.deployments[0],
      warning:
        'deploy is the source of 2 objects in the tree; the settings of Argo CD Application one (a.yaml) are used, not those of Argo CD Application two',
    });
  });
});

describe('one source of truth: the generated trees carry the config rules back to the check', () => {
  const golden = (name: string) => join(import.meta.dirname, '../golden', name);
  const filesOf = (root: string): TreeFile[] => {
    const out: TreeFile[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.yaml')) out.push({ path: p, text: readFileSync(p, 'utf8') });
      }
    };
    walk(root);
    return out;
  };
  const configRules = (name: string) =>
    parseConfig(
      readFileSync(join(golden(name), 'input/mr-drift.yaml'), 'utf8'),
      'mr-drift.yaml',
    ).gitops.ignoreDifferences.map(({ description: _, ...rule }) => rule);

  it.each([
    ['argocd-names-managed', 'argocd'],
    ['flux-hub-managed', 'flux'],
  ])('%s: every region is deployed by its %s object, with the config rules', (name, engine) => {
    const config = parseConfig(
      readFileSync(join(golden(name), 'input/mr-drift.yaml'), 'utf8'),
      'mr-drift.yaml',
    );
    const tree = readTreeDeployments(filesOf(join(golden(name), 'expected')));
    expect(tree.problems).toEqual([]);
    const rules = configRules(name);
    expect(rules.length).toBeGreaterThan(0);
    for (const region of config.regions) {
      const dir = `${config.gitops.path}/regions/${region.name}`;
      const d = deploymentFor(tree.deployments, dir).deployment;
      expect(d?.engine, dir).toBe(engine);
      expect(d!.ignoreDifferences.map((r) => r.rule)).toEqual(rules);
    }
  });
});
