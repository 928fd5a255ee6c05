/**
 * The CloudNativePG part of the template context (database.mode cloudnative-pg): the
 * settings every Cluster shares, and each shard's Cluster per region with its place in
 * the distributed topology, which is where a failover pull request shows.
 */
import type { Config } from '../config/types';

/** CloudNativePG settings shared by every Cluster. */
export interface CnpgView {
  instances: number;
  imageName: string | null;
  storage: string;
  storageClassName: string | null;
  resources: { cpu: string; memory: string; memoryLimit: string };
  database: string;
  owner: string;
  operatorNamespace: string;
  plugin: string;
  backup: {
    enabled: boolean;
    schedule: string;
    retention: string;
    endpointURL: string | null;
    credentialsSecret: string | null;
    inheritFromIAMRole: boolean;
  } | null;
}

/** One shard's Cluster in one region, in CloudNativePG's distributed topology. */
export interface ShardClusterView {
  name: string;
  primaryRegion: string;
  primaryCluster: string;
  isPrimary: boolean;
  /** Planned switchover: this former primary is demoted; the Cluster taking over. */
  demotedFor: string | null;
  /** Replica clusters elsewhere (or this one is a replica): the topology stanza is written. */
  distributed: boolean;
  /** The member this cluster follows; for the primary, the one it would follow once demoted. */
  source: string | null;
  promotionToken: string | null;
  /** Every member of the topology (this one too), in file order. */
  members: { name: string; region: string }[];
  /**
   * The shard's ObjectStore in this region (null with backups off): one folder per shard,
   * shared by its members, each archiving under its own server name (its Cluster name).
   */
  objectStore: { name: string; destinationPath: string } | null;
  scheduledBackup: boolean;
}

/** The CloudNativePG settings every Cluster shares. */
export function cnpgView(config: Config): CnpgView {
  const c = config.database.cloudnativePG;
  const b = c.backup;
  return {
    instances: c.instances,
    imageName: c.imageName ?? null,
    storage: c.storage,
    storageClassName: c.storageClassName ?? null,
    resources: { ...c.resources },
    database: config.app.name,
    owner: c.owner ?? config.app.name,
    operatorNamespace: c.operatorNamespace,
    plugin: BARMAN_CLOUD_PLUGIN,
    backup: b.enabled
      ? {
          enabled: true,
          schedule: b.schedule,
          retention: b.retention,
          endpointURL: b.endpointURL ?? null,
          credentialsSecret: b.inheritFromIAMRole
            ? null
            : (b.credentialsSecret ?? `${config.app.name}-backup-credentials`),
          inheritFromIAMRole: b.inheritFromIAMRole,
        }
      : null,
  };
}

/** The Barman Cloud plugin's name, as Clusters and backups refer to it. */
export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';

/** Name of the CloudNativePG Cluster of a shard in a region. */
export function shardClusterName(app: string, shard: string, region: string): string {
  return `${app}-db-shard-${shard.slice(3)}-${region}`;
}

/**
 * A shard's Cluster in one region. Every region listing the shard runs one; the region
 * named by database.primaries holds the primary, the others are replica clusters that
 * follow it through its WAL archive. Changing the primary changes only who is primary
 * (replica.primary, the source, and which bootstrap a Cluster would be created with),
 * never a name, so the failover pull request reads as exactly that.
 */
export function shardCluster(config: Config, shard: string, region: string): ShardClusterView {
  const n = config.app.name;
  const holders = config.regions.filter((r) => r.shards.includes(shard)).map((r) => r.name);
  const primaryRegion = config.database.primaries[shard] ?? holders[0];
  const name = shardClusterName(n, shard, region);
  // During a planned switchover the primary is demoted toward the target region, which
  // keeps following it until a second change promotes it with the demotion token.
  const target = config.database.cloudnativePG.switchover[shard];
  const demoted = target !== undefined && region === primaryRegion;
  const primaryCluster = shardClusterName(n, shard, demoted ? target : primaryRegion);
  const isPrimary = region === primaryRegion && !demoted;
  const backup = config.database.cloudnativePG.backup;
  const root = backup.enabled ? (backup.destinationPath ?? '').replace(/\/+$/, '') : null;
  const distributed = holders.length > 1;
  // Members by region name: a failover moves `primary` and `source` but never reorders
  // the lists, and the externalClusters list does not follow the order of the config.
  const members = [...holders]
    .sort(cmp)
    .map((h) => ({ name: shardClusterName(n, shard, h), region: h }));
  const others = members.filter((m) => m.region !== region);
  const source = !distributed ? null : isPrimary ? others[0].name : primaryCluster;
  return {
    name,
    primaryRegion,
    primaryCluster,
    isPrimary,
    demotedFor: demoted ? primaryCluster : null,
    distributed,
    source,
    promotionToken: isPrimary
      ? (config.database.cloudnativePG.promotionTokens[shard] ?? null)
      : null,
    members,
    objectStore:
      root === null
        ? null
        : { name: `${n}-db-shard-${shard.slice(3)}`, destinationPath: `${root}/${shard}` },
    scheduledBackup: backup.enabled,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
