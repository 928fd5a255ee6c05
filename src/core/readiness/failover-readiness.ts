import type { Config } from '../config/types';
import { routingOnRegionLoss, type RoutingOnLoss } from './routing';

/** What happens to one shard when a region that holds it is lost. */
export type ShardOutcome =
  /** Its primary was here; a replica cluster elsewhere is promoted by a pull request. */
  | { shard: string; outcome: 'promote'; to: string[] }
  /** Only a replica cluster was here; the primary elsewhere keeps serving. */
  | { shard: string; outcome: 'replica-lost'; primary: string }
  /** No replica elsewhere: down until restored from its backup into another region. */
  | { shard: string; outcome: 'restore-from-backup' }
  /** No replica elsewhere and no backup: its data is gone. */
  | { shard: string; outcome: 'lost' }
  /** A managed database outside the region: its provider's own failover applies. */
  | { shard: string; outcome: 'external'; endpoint: string };

export interface RegionLoss {
  region: string;
  shards: ShardOutcome[];
  routing: RoutingOnLoss;
  capacity: {
    /** The lost region's HPA minimum: the load it carried at least. */
    lostMin: number;
    /** How many replicas the other regions can add above their own minimum. */
    othersHeadroom: number;
    othersMax: number;
    covered: boolean;
  };
}

/** Per region, what losing it would do; the report `mr-drift generate` prints. */
export interface FailoverReadiness {
  databaseMode: Config['database']['mode'];
  regions: RegionLoss[];
  /** What needs attention: shards lost for good, routing that does not fail over, capacity. */
  warnings: string[];
}

/**
 * For each region, what losing it would do: which shards fail over to a replica cluster
 * (by a pull request moving database.primaries), which are down until restored from a
 * backup or lost, whether the global routing sends its clients elsewhere, and whether the
 * other regions can grow enough to carry its minimum (their headroom, max - min, against
 * its min). Pure: it reads the validated config only.
 */
export function failoverReadiness(config: Config): FailoverReadiness {
  const { database } = config;
  const holders = new Map<string, string[]>();
  for (const r of config.regions)
    for (const s of r.shards) holders.set(s, [...(holders.get(s) ?? []), r.name]);
  const backups = database.mode === 'cloudnative-pg' && database.cloudnativePG.backup.enabled;

  const regions = config.regions.map((r): RegionLoss => {
    const shards = [...r.shards]
      .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))
      .map((shard): ShardOutcome => {
        if (database.mode === 'managed') {
          return { shard, outcome: 'external', endpoint: database.managed.endpoints[shard] ?? '' };
        }
        const others = (holders.get(shard) ?? []).filter((h) => h !== r.name);
        // In-cluster StatefulSets in several regions are separate databases, not replicas.
        if (database.mode === 'cloudnative-pg' && others.length > 0) {
          const primary = database.primaries[shard];
          return primary === r.name
            ? { shard, outcome: 'promote', to: others }
            : { shard, outcome: 'replica-lost', primary };
        }
        return backups ? { shard, outcome: 'restore-from-backup' } : { shard, outcome: 'lost' };
      });
    const rest = config.regions.filter((o) => o.name !== r.name);
    const othersHeadroom = rest.reduce((n, o) => n + o.replicas.max - o.replicas.min, 0);
    const capacity = {
      lostMin: r.replicas.min,
      othersHeadroom,
      othersMax: rest.reduce((n, o) => n + o.replicas.max, 0),
      covered: othersHeadroom >= r.replicas.min,
    };
    return { region: r.name, shards, routing: routingOnRegionLoss(config, r.name), capacity };
  });
  return { databaseMode: database.mode, regions, warnings: warningsOf(regions, database.mode) };
}

function warningsOf(regions: RegionLoss[], mode: Config['database']['mode']): string[] {
  const out: string[] = [];
  for (const r of regions) {
    const lost = r.shards.filter((s) => s.outcome === 'lost').map((s) => s.shard);
    if (lost.length === 0) continue;
    out.push(
      mode === 'in-cluster'
        ? `losing ${r.region} loses ${lost.join(', ')} for good: in-cluster mode keeps no replica and no backup (it is for development; use cloudnative-pg)`
        : `losing ${r.region} loses ${lost.join(', ')} for good: no replica elsewhere and no backup (allowed by database.allowShardLoss)`,
    );
  }
  const stranded = regions.filter((r) => !r.routing.failsOver);
  if (regions.length > 0 && regions.every((r) => r.routing.provider === 'none')) {
    out.push('no global routing is configured: the clients of a lost region have nowhere to go');
  } else {
    for (const r of stranded) out.push(`losing ${r.region}: ${r.routing.detail}`);
  }
  for (const r of regions.filter((x) => !x.capacity.covered)) {
    out.push(
      `losing ${r.region}: the other regions can add ${r.capacity.othersHeadroom} API replicas above their minimum, fewer than its minimum of ${r.capacity.lostMin}; raise their replicas.max`,
    );
  }
  return out;
}
