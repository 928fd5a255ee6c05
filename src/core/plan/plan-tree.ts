import type { Config } from '../config/types';
import { AutoscaledReplicasError } from '../errors';
import { autoscaledReplicaProblems, type RenderedFile } from './autoscaled-replicas';
import { withHeader } from './generated-header';
import { compileTemplates, type TemplateRenderer, type TemplateSources } from './template-engine';
import { buildViewModel, type RegionView, type ViewModel } from './view-model';
import { createShapeReader } from './yaml-shapes';

/** One file of the generated tree, relative to the output root, `/`-separated. */
export interface PlannedFile {
  path: string;
  content: string;
  /** Template that produced it (for messages); absent for the record. */
  template?: string;
  /** `base`, `gitops`, or the region name: what the CLI summary groups by. */
  group: string;
}

/**
 * The record of what the generator wrote, kept in the output root. The writer only ever
 * removes or overwrites files listed here, so files it did not generate are never touched.
 */
export const RECORD_FILE = '.mr-drift-generated.json';

export interface PlanOptions {
  /** Config file name written into headers (a base name, so output is the same everywhere). */
  configName: string;
}

/**
 * Pure: config + templates -> every file of the tree, sorted by path, each with the
 * generated header. Same input, same bytes. Throws TemplateError for a broken template or
 * a rendered file that is not valid YAML, and AutoscaledReplicasError when a template
 * sets replicas on a workload an HPA scales (before anything is written).
 */
export function planTree(
  config: Config,
  templates: TemplateSources,
  options: PlanOptions,
): PlannedFile[] {
  return planWith(compileTemplates(templates), config, options);
}

/** Same as planTree with already compiled templates (the benchmark reuses them). */
export function planWith(
  renderer: TemplateRenderer,
  config: Config,
  options: PlanOptions,
): PlannedFile[] {
  const vm = buildViewModel(config, options.configName);
  const files: PlannedFile[] = [];
  // Every rendered file is parsed as YAML before anything is written: a template override
  // with a mistake (bad indentation, a duplicated key) fails here, naming the template,
  // instead of producing a tree that kustomize or Argo CD would reject later.
  const readYaml = createShapeReader();
  const rendered: RenderedFile[] = [];
  const add = (path: string, template: string, group: string, extra: object = {}): void => {
    const body = renderer.render(template, { ...vm, ...extra });
    const origin = renderer.origin(template);
    const yaml = readYaml(body, origin, path);
    const content = withHeader(body, options.configName);
    files.push({ path, content, template, group });
    rendered.push({ path, origin, source: renderer.source(template), content, yaml });
  };

  for (const resource of vm.base.resources) add(`base/${resource}`, `base/${resource}`, 'base');
  add('base/kustomization.yaml', 'base/kustomization.yaml', 'base');

  for (const region of vm.regions) planRegion(vm, region, add);

  if (vm.gitops.engine === 'argocd') {
    for (const f of ['kustomization.yaml', 'appproject.yaml', 'applicationset.yaml']) {
      add(`argocd/${f}`, `argocd/${f}`, 'gitops');
    }
  } else {
    const hub = vm.gitops.flux.hub;
    if (hub) {
      add('flux/kustomization.yaml', 'flux/kustomization.yaml', 'gitops');
      // One GitRepository that every region's Kustomization reads (see sourceName).
      add('flux/source.yaml', 'flux/source.yaml', 'gitops');
    }
    for (const region of vm.regions) {
      const dir = `flux/${region.name}`;
      add(`${dir}/kustomization.yaml`, 'flux/region-kustomization.yaml', region.name, { region });
      if (!hub)
        add(`${dir}/gitrepository.yaml`, 'flux/gitrepository.yaml', region.name, { region });
      add(`${dir}/sync.yaml`, 'flux/sync.yaml', region.name, { region });
      if (region.fluxResources.includes('kubeconfig-secret.yaml')) {
        add(`${dir}/kubeconfig-secret.yaml`, 'flux/kubeconfig-secret.yaml', region.name, {
          region,
        });
      }
    }
  }

  const problems = autoscaledReplicaProblems(rendered);
  if (problems.length > 0) throw new AutoscaledReplicasError(problems);

  const byPath = (a: PlannedFile, b: PlannedFile): number =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  files.sort(byPath);
  files.push(recordFile(files, options.configName));
  return files.sort(byPath);
}

function planRegion(
  vm: ViewModel,
  region: RegionView,
  add: (path: string, template: string, group: string, extra?: object) => void,
): void {
  const dir = `regions/${region.name}`;
  const ctx = { region };
  add(`${dir}/kustomization.yaml`, 'region/kustomization.yaml', region.name, ctx);
  for (const patch of ['deployment', 'hpa', 'configmap', 'ingress']) {
    add(`${dir}/patch-${patch}.yaml`, `region/patch-${patch}.yaml`, region.name, ctx);
  }
  const shardTemplate = {
    'in-cluster': 'region/db-shard-in-cluster.yaml',
    'cloudnative-pg': 'region/db-shard-cloudnative-pg.yaml',
    managed: 'region/db-shard-managed.yaml',
  }[vm.database.mode];
  for (const shard of region.shards) {
    const template = shard.read ? 'region/db-shard-read.yaml' : shardTemplate;
    add(`${dir}/${shard.file}`, template, region.name, { region, shard });
  }
  if (region.resources.includes('networkpolicy-db.yaml')) {
    add(`${dir}/networkpolicy-db.yaml`, 'region/networkpolicy-db.yaml', region.name, ctx);
  }
  const cacheTemplate = region.redisCluster
    ? 'region/cache-redis-cluster.yaml'
    : 'region/cache-region-local.yaml';
  add(`${dir}/cache.yaml`, cacheTemplate, region.name, ctx);
  for (const file of region.routing?.files ?? []) {
    add(`${dir}/${file}`, `region/${file}`, region.name, ctx);
  }
  if (region.secrets) {
    add(`${dir}/external-secrets.yaml`, 'region/external-secrets.yaml', region.name, ctx);
  }
  if (vm.monitoring) add(`${dir}/monitoring.yaml`, 'region/monitoring.yaml', region.name, ctx);
}

function recordFile(files: PlannedFile[], configName: string): PlannedFile {
  const record = {
    generator: 'mr-drift',
    note: 'Files mr-drift generated here; it only ever rewrites or removes these.',
    config: configName,
    files: files.map((f) => f.path),
  };
  return { path: RECORD_FILE, content: `${JSON.stringify(record, null, 2)}\n`, group: 'record' };
}
