import { databaseChecks } from './semantic-database';
import { isObject, type Raw, type SemanticProblem } from './semantic-problem';
import { routingChecks } from './semantic-routing';
import { validateIgnoreDifferences } from '../engine/validate-ignore-differences';

/**
 * Rules the JSON Schema cannot express: unique region names and hosts, shard placement,
 * contiguous waves, the `latest` tag, names that stay valid once prefixed, and engine
 * specific constraints. Runs on the raw (defaults-filled) data even when the schema
 * found problems, guarding every access, so one run reports all problems at once.
 */
export function semanticChecks(data: unknown): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  if (!isObject(data)) return problems;
  const app = isObject(data.app) ? data.app : {};
  const gitops = isObject(data.gitops) ? data.gitops : {};
  const database = isObject(data.database) ? data.database : {};
  const cache = isObject(data.cache) ? data.cache : {};
  const regions = Array.isArray(data.regions) ? data.regions : [];

  checkImage(app, problems);
  checkAppName(app, database, problems);
  checkRegionsUnique(regions, problems);
  checkReplicas(regions, problems);
  checkWaves(regions, problems);
  problems.push(...databaseChecks(app, database, regions));
  checkCache(cache, regions, problems);
  checkClusters(gitops, regions, problems);
  problems.push(...routingChecks(data));
  checkIgnoreDifferences(gitops, problems);
  return problems;
}

/**
 * What the schema cannot say about `gitops.ignoreDifferences`: jq expressions mr-drift can
 * evaluate as Argo CD does, and no `{{` (the ApplicationSet's Go templates would take it).
 */
function checkIgnoreDifferences(gitops: Raw, problems: SemanticProblem[]): void {
  const rules = gitops.ignoreDifferences;
  if (!Array.isArray(rules)) return;
  for (const p of validateIgnoreDifferences(rules, { shape: false }))
    problems.push({ path: ['gitops', 'ignoreDifferences', ...p.path], message: p.message });
  rules.forEach((rule, i) => {
    if (!isObject(rule)) return;
    for (const [key, value] of Object.entries(rule)) {
      const items = Array.isArray(value) ? value : [value];
      items.forEach((item, j) => {
        if (typeof item === 'string' && item.includes('{{'))
          problems.push({
            path: ['gitops', 'ignoreDifferences', i, key, ...(Array.isArray(value) ? [j] : [])],
            message:
              '`{{` would be read as a template by the ApplicationSet controller; write the expression without it',
          });
      });
    }
  });
}

function checkImage(app: Raw, problems: SemanticProblem[]): void {
  const image = app.image;
  if (!isObject(image)) return;
  if (image.tag === undefined && image.digest === undefined) {
    problems.push({
      path: ['app', 'image'],
      message: 'set `tag` or `digest` (or both) so every region runs a known image',
    });
  }
  if (image.tag === 'latest' && image.allowLatestTag !== true) {
    problems.push({
      path: ['app', 'image', 'tag'],
      message:
        'the `latest` tag is not reproducible: pin a version or digest, or set app.image.allowLatestTag: true',
    });
  }
}

function checkAppName(app: Raw, database: Raw, problems: SemanticProblem[]): void {
  if (typeof app.name !== 'string') return;
  // Service names are DNS-1035 labels: they must start with a letter and fit in 63.
  if (!/^[a-z]/.test(app.name)) {
    problems.push({
      path: ['app', 'name'],
      message: `must start with a letter, because it prefixes Service names (got ${JSON.stringify(app.name)})`,
    });
  }
  const shards = typeof database.shards === 'number' ? database.shards : 1;
  const longest = `${app.name}-db-shard-${shards}`;
  if (longest.length > 63) {
    problems.push({
      path: ['app', 'name'],
      message: `too long: the Service name ${JSON.stringify(longest)} would exceed 63 characters; shorten the app name`,
    });
  }
}

function checkRegionsUnique(regions: unknown[], problems: SemanticProblem[]): void {
  const names = new Map<string, number>();
  const hosts = new Map<string, number>();
  regions.forEach((r, i) => {
    if (!isObject(r)) return;
    if (typeof r.name === 'string') {
      const first = names.get(r.name);
      if (first !== undefined) {
        problems.push({
          path: ['regions', i, 'name'],
          message: `duplicate region ${JSON.stringify(r.name)}: already defined at regions[${first}]; region names must be unique`,
        });
      } else names.set(r.name, i);
    }
    if (typeof r.host === 'string') {
      const first = hosts.get(r.host);
      if (first !== undefined) {
        problems.push({
          path: ['regions', i, 'host'],
          message: `host ${JSON.stringify(r.host)} is already used by regions[${first}]; each region needs its own public host`,
        });
      } else hosts.set(r.host, i);
    }
  });
}

function checkReplicas(regions: unknown[], problems: SemanticProblem[]): void {
  regions.forEach((r, i) => {
    if (!isObject(r) || !isObject(r.replicas)) return;
    const { min, max } = r.replicas;
    if (typeof min === 'number' && typeof max === 'number' && min > max) {
      problems.push({
        path: ['regions', i, 'replicas'],
        message: `min (${min}) is greater than max (${max})`,
      });
    }
  });
}

function checkWaves(regions: unknown[], problems: SemanticProblem[]): void {
  const waves = new Map<number, number>(); // wave -> first region index
  // A wave the schema already rejected would only add a confusing second problem here.
  const valid = (w: unknown): boolean => typeof w === 'number' && Number.isInteger(w) && w >= 1;
  if (regions.some((r) => isObject(r) && !valid(r.wave))) return;
  regions.forEach((r, i) => {
    if (isObject(r) && typeof r.wave === 'number' && Number.isInteger(r.wave) && r.wave >= 1) {
      if (!waves.has(r.wave)) waves.set(r.wave, i);
    }
  });
  if (waves.size === 0) return;
  const max = Math.max(...waves.keys());
  const missing: number[] = [];
  for (let w = 1; w < max; w++) if (!waves.has(w)) missing.push(w);
  if (missing.length === 0) return;
  // Point at the first region after the first gap: that is the one to renumber.
  const [wave, index] = [...waves.entries()]
    .filter(([x]) => x > missing[0])
    .sort((a, b) => a[0] - b[0])[0];
  const list = missing.length === 1 ? `wave ${missing[0]}` : `waves ${missing.join(', ')}`;
  problems.push({
    path: ['regions', index, 'wave'],
    message: `waves must be contiguous from 1: no region has ${list}, but this one has wave ${wave}`,
  });
}

function checkCache(cache: Raw, regions: unknown[], problems: SemanticProblem[]): void {
  const modes = [cache.mode, ...regions.map((r) => (isObject(r) ? r.cache : undefined))];
  if (!modes.includes('redis-cluster')) return;
  const nodes = cache.clusterNodes;
  if (typeof nodes === 'number' && Number.isInteger(nodes) && nodes >= 6 && nodes % 2 !== 0) {
    problems.push({
      path: ['cache', 'clusterNodes'],
      message: `redis-cluster mode runs one follower per leader, so the node count must be even (got ${nodes}); use ${nodes + 1}`,
    });
  }
}

function checkClusters(gitops: Raw, regions: unknown[], problems: SemanticProblem[]): void {
  const kinds = new Map<'server' | 'name', number>();
  regions.forEach((r, i) => {
    if (!isObject(r) || !isObject(r.cluster)) return;
    const { server, name } = r.cluster;
    if ((server === undefined) === (name === undefined)) {
      problems.push({
        path: ['regions', i, 'cluster'],
        message: 'set exactly one of `server` (API server URL) or `name` (Argo CD cluster name)',
      });
      return;
    }
    const kind = server !== undefined ? 'server' : 'name';
    if (!kinds.has(kind)) kinds.set(kind, i);
  });
  // One ApplicationSet template serves every region, so its destination must use the
  // same field for all of them.
  if (gitops.engine === 'argocd' && kinds.size > 1) {
    const second = Math.max(...kinds.values());
    problems.push({
      path: ['regions', second, 'cluster'],
      message:
        'with Argo CD, every region must name its cluster the same way: all by `server` or all by `name`',
    });
  }
}
