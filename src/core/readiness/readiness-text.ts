import type { FailoverReadiness, ShardOutcome } from './failover-readiness';

/**
 * The failover readiness as text, one block per region, then its warnings:
 *
 * ```
 * Failover readiness (what losing each region would do):
 *   us-east
 *     db-1          primary here: promote eu-west (set database.primaries.db-1: eu-west)
 *     db-2          down until restored from its backup into another region
 *     routing       k8gb: eu-west, ap-southeast keep serving alfred.example.com
 *     API capacity  the other regions can add 14 replicas above their minimum; it needs 3
 * ```
 */
export function readinessText(readiness: FailoverReadiness): string {
  const lines = ['Failover readiness (what losing each region would do):'];
  for (const r of readiness.regions) {
    lines.push(`  ${r.region}`);
    const rows: [string, string][] = [
      ...r.shards.map((s): [string, string] => [s.shard, shardLine(s)]),
      [
        'routing',
        `${r.routing.provider === 'none' ? '' : `${r.routing.provider}: `}${r.routing.detail}`,
      ],
      [
        'API capacity',
        `the other regions can add ${r.capacity.othersHeadroom} replicas above their minimum; it needs ${r.capacity.lostMin}${r.capacity.covered ? '' : ' (not covered)'}`,
      ],
    ];
    if (r.shards.length === 0) rows.unshift(['shards', 'none in this region']);
    const width = Math.max(...rows.map(([k]) => k.length)) + 2;
    for (const [k, v] of rows) lines.push(`    ${k.padEnd(width)}${v}`);
  }
  for (const w of readiness.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

function shardLine(s: ShardOutcome): string {
  switch (s.outcome) {
    case 'promote':
      return `primary here: promote ${s.to.join(' or ')} (set database.primaries.${s.shard}: ${s.to[0]})`;
    case 'replica-lost':
      return `a replica cluster here; the primary in ${s.primary} keeps serving`;
    case 'restore-from-backup':
      return 'no replica elsewhere: down until restored from its backup into another region';
    case 'lost':
      return 'no replica elsewhere and no backup: lost';
    case 'external':
      return `managed database (${s.endpoint}): outside the region, its provider's failover applies`;
  }
}
