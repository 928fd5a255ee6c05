import { routingChecks } from './semantic-routing';
import type { ConfigPath } from './yaml-locate';
import { validateIgnoreDifferences } from '../engine/validate-ignore-differences';

/** A rule broken by values that are each valid on their own. */
export interface SemanticProblem {
  path: ConfigPath;
  atKey?: boolean;
  message: string;
}

type Raw = Record<string, unknown>;

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
  checkShards(database, regions, problems);
  checkPrimaries(database, regions, problems);
  checkCloudNativePG(app, database, regions, problems);
  checkReadEndpoints(database, regions, problems);
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

function checkShards(database: Raw, regions: unknown[], problems: SemanticProblem[]): void {
  const count = database.shards;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) return;
  const exists = (s: string): boolean => /^db-\d+$/.test(s) && Number(s.slice(3)) <= count;
  const range = count === 1 ? 'db-1' : `db-1..db-${count}`;
  const replicated = new Set(
    Array.isArray(database.replicated)
      ? database.replicated.filter((s): s is string => typeof s === 'string')
      : [],
  );
  if (Array.isArray(database.replicated)) {
    database.replicated.forEach((s, j) => {
      if (typeof s === 'string' && /^db-\d+$/.test(s) && !exists(s)) {
        problems.push({
          path: ['database', 'replicated', j],
          message: `shard ${s} does not exist: database.shards is ${count} (${range})`,
        });
      }
    });
  }

  const placedIn = new Map<string, number>(); // shard -> first region index
  regions.forEach((r, i) => {
    if (!isObject(r) || !Array.isArray(r.shards)) return;
    r.shards.forEach((s, j) => {
      if (typeof s !== 'string' || !/^db-\d+$/.test(s)) return;
      if (!exists(s)) {
        problems.push({
          path: ['regions', i, 'shards', j],
          message: `shard ${s} does not exist: database.shards is ${count} (${range})`,
        });
        return;
      }
      const first = placedIn.get(s);
      if (first === undefined) placedIn.set(s, i);
      else if (first !== i && !replicated.has(s)) {
        const other = regions[first];
        const otherName = isObject(other) && typeof other.name === 'string' ? other.name : '';
        problems.push({
          path: ['regions', i, 'shards', j],
          message: `shard ${s} is already placed in region ${JSON.stringify(otherName)} (regions[${first}]); a shard lives in exactly one region unless listed in database.replicated`,
        });
      }
    });
  });
  if (regions.length > 0) {
    for (let n = 1; n <= count; n++) {
      if (!placedIn.has(`db-${n}`)) {
        problems.push({
          path: ['database', 'shards'],
          message: `shard db-${n} is not placed in any region: add it to one region's shards, or lower database.shards`,
        });
      }
    }
  }

  if (database.mode === 'managed') {
    const managed = isObject(database.managed) ? database.managed : {};
    const endpoints = isObject(managed.endpoints) ? managed.endpoints : {};
    for (let n = 1; n <= count; n++) {
      if (endpoints[`db-${n}`] === undefined) {
        problems.push({
          path: ['database', 'managed', 'endpoints'],
          message: `managed mode needs an endpoint for every shard: db-${n} has none`,
        });
      }
    }
    for (const s of Object.keys(endpoints)) {
      if (/^db-\d+$/.test(s) && !exists(s)) {
        problems.push({
          path: ['database', 'managed', 'endpoints', s],
          atKey: true,
          message: `shard ${s} does not exist: database.shards is ${count} (${range})`,
        });
      }
    }
  }
}

/** Regions (by index and name) that list each shard, in file order. */
function placements(regions: unknown[]): Map<string, { index: number; name: string }[]> {
  const out = new Map<string, { index: number; name: string }[]>();
  regions.forEach((r, index) => {
    if (!isObject(r) || !Array.isArray(r.shards) || typeof r.name !== 'string') return;
    for (const s of r.shards) {
      if (typeof s !== 'string') continue;
      out.set(s, [...(out.get(s) ?? []), { index, name: r.name }]);
    }
  });
  return out;
}

function checkPrimaries(database: Raw, regions: unknown[], problems: SemanticProblem[]): void {
  if (!isObject(database.primaries)) return;
  const placed = placements(regions);
  const names = new Set(
    regions.flatMap((r) => (isObject(r) && typeof r.name === 'string' ? [r.name] : [])),
  );
  for (const [shard, region] of Object.entries(database.primaries)) {
    if (typeof region !== 'string') continue;
    const holders = (placed.get(shard) ?? []).map((p) => p.name);
    if (!names.has(region)) {
      problems.push({
        path: ['database', 'primaries', shard],
        message: `no region is named ${JSON.stringify(region)}; the primary of ${shard} must be one of the regions that list it (${holders.join(', ') || 'none yet'})`,
      });
    } else if (holders.length > 0 && !holders.includes(region)) {
      problems.push({
        path: ['database', 'primaries', shard],
        message: `region ${JSON.stringify(region)} does not list ${shard} in its shards, so it holds no copy to promote; pick one of ${holders.join(', ')}, or add ${shard} to that region's shards (and to database.replicated)`,
      });
    }
  }
}

/** CloudNativePG limits a Cluster name to 50 characters (its pods and jobs add suffixes). */
const CNPG_NAME_MAX = 50;

function checkCloudNativePG(
  app: Raw,
  database: Raw,
  regions: unknown[],
  problems: SemanticProblem[],
): void {
  if (database.mode !== 'cloudnative-pg') return;
  const cnpg = isObject(database.cloudnativePG) ? database.cloudnativePG : {};
  const backup = isObject(cnpg.backup) ? cnpg.backup : {};
  const backupOn = backup.enabled !== false;
  if (backupOn && backup.destinationPath === undefined) {
    problems.push({
      path: ['database', 'cloudnativePG', 'backup'],
      atKey: true,
      message:
        'backups are on (the default), so destinationPath is required: the object store folder for WAL archives and base backups, e.g. s3://alfred-backups/postgres; or set enabled: false',
    });
  }
  const placed = placements(regions);
  const replicated = Array.isArray(database.replicated) ? database.replicated : [];
  replicated.forEach((s, j) => {
    if (typeof s !== 'string') return;
    const holders = placed.get(s) ?? [];
    if (holders.length === 1) {
      problems.push({
        path: ['database', 'replicated', j],
        message: `${s} is replicated but only region ${JSON.stringify(holders[0].name)} lists it: add it to another region's shards, where its replica cluster will run`,
      });
    }
    if (holders.length > 1 && !backupOn) {
      problems.push({
        path: ['database', 'replicated', j],
        message: `${s} has replica clusters, which follow the primary through its WAL archive: turn database.cloudnativePG.backup.enabled back on`,
      });
    }
  });

  if (!backupOn && database.allowShardLoss !== true) {
    const lost = [...placed.entries()]
      .filter(([, holders]) => holders.length === 1)
      .map(([s, holders]) => `${s} (${holders[0].name})`)
      .sort();
    if (lost.length > 0) {
      problems.push({
        path: ['database', 'cloudnativePG', 'backup', 'enabled'],
        message: `with backups off, losing a region loses these shards for good (no replica elsewhere, no backup): ${lost.join(', ')}. Turn backups on, replicate them, or accept it with database.allowShardLoss: true`,
      });
    }
  }

  const switchover = isObject(cnpg.switchover) ? cnpg.switchover : {};
  const primaries = isObject(database.primaries) ? database.primaries : {};
  for (const [s, target] of Object.entries(switchover)) {
    if (typeof target !== 'string') continue;
    const holders = (placed.get(s) ?? []).map((h) => h.name);
    const primary = typeof primaries[s] === 'string' ? primaries[s] : holders[0];
    if (!holders.includes(target)) {
      problems.push({
        path: ['database', 'cloudnativePG', 'switchover', s],
        message: `region ${JSON.stringify(target)} holds no replica of ${s} to switch over to; pick one of ${holders.filter((h) => h !== primary).join(', ') || '(none: replicate the shard first)'}`,
      });
    } else if (target === primary) {
      problems.push({
        path: ['database', 'cloudnativePG', 'switchover', s],
        message: `${target} already holds the primary of ${s}; name the region it moves to, or remove this entry once database.primaries names it`,
      });
    }
  }

  const tokens = isObject(cnpg.promotionTokens) ? cnpg.promotionTokens : {};
  for (const s of Object.keys(tokens)) {
    if ((placed.get(s) ?? []).length < 2) {
      problems.push({
        path: ['database', 'cloudnativePG', 'promotionTokens', s],
        atKey: true,
        message: `${s} has no replica cluster, so there is nothing to promote with a token; remove this entry`,
      });
    }
  }

  if (typeof app.name !== 'string') return;
  regions.forEach((r, i) => {
    if (!isObject(r) || typeof r.name !== 'string' || !Array.isArray(r.shards)) return;
    const numbers = r.shards
      .filter((s): s is string => typeof s === 'string')
      .map((s) => s.slice(3));
    if (numbers.length === 0) return;
    const longest = `${String(app.name)}-db-shard-${numbers.sort((a, b) => b.length - a.length)[0]}-${r.name}`;
    if (longest.length > CNPG_NAME_MAX) {
      problems.push({
        path: ['regions', i, 'name'],
        message: `the CloudNativePG Cluster name ${JSON.stringify(longest)} would exceed ${CNPG_NAME_MAX} characters; shorten the region or app name`,
      });
    }
  });
}

function checkReadEndpoints(database: Raw, regions: unknown[], problems: SemanticProblem[]): void {
  const managed = isObject(database.managed) ? database.managed : {};
  const reads = isObject(managed.readEndpoints) ? managed.readEndpoints : {};
  const names = new Set(
    regions.flatMap((r) => (isObject(r) && typeof r.name === 'string' ? [r.name] : [])),
  );
  const count = typeof database.shards === 'number' ? database.shards : 0;
  for (const [region, shards] of Object.entries(reads)) {
    if (database.mode !== 'managed') {
      problems.push({
        path: ['database', 'managed', 'readEndpoints', region],
        atKey: true,
        message: `read endpoints are for managed mode; database.mode is ${JSON.stringify(database.mode)}`,
      });
      continue;
    }
    if (!names.has(region)) {
      problems.push({
        path: ['database', 'managed', 'readEndpoints', region],
        atKey: true,
        message: `no region is named ${JSON.stringify(region)}; read endpoints are listed by region name (${[...names].join(', ')})`,
      });
      continue;
    }
    if (!isObject(shards)) continue;
    for (const s of Object.keys(shards)) {
      if (/^db-\d+$/.test(s) && Number(s.slice(3)) > count) {
        problems.push({
          path: ['database', 'managed', 'readEndpoints', region, s],
          atKey: true,
          message: `shard ${s} does not exist: database.shards is ${count}`,
        });
      }
    }
  }
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

function isObject(x: unknown): x is Raw {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
