/**
 * Rules of the `database` section the schema cannot state: shards that exist and are
 * placed, one primary region per shard among the regions that hold it (the failover
 * field), CloudNativePG names that stay within the operator's limits, and read endpoints
 * only where a region holds the shard. Runs on raw, defaults-filled data, guarding every access.
 */
import { isObject, type Raw, type SemanticProblem } from './semantic-problem';

export function databaseChecks(app: Raw, database: Raw, regions: unknown[]): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  checkShards(database, regions, problems);
  checkPrimaries(database, regions, problems);
  checkCloudNativePG(app, database, regions, problems);
  checkReadEndpoints(database, regions, problems);
  return problems;
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
