/**
 * The generator config the benchmarks use: 50 regions x 8 shards each (400 shards, 50
 * overlays, in 5 waves), half of the regions with a region-local cache.
 */
export const REGIONS = 50;
export const SHARDS_PER_REGION = 8;
const WAVES = 5;

/** The config text. */
export function benchConfig(): string {
  const lines = [
    'app:',
    '  name: alfred',
    '  namespace: alfred',
    '  image: { repository: ghcr.io/alfred/api, tag: "1.42.0" }',
    'gitops:',
    '  engine: argocd',
    '  repoURL: https://github.com/alfred/deploy.git',
    '  revision: main',
    '  path: overlays',
    'database:',
    '  shardKey: org',
    `  shards: ${REGIONS * SHARDS_PER_REGION}`,
    '  mode: in-cluster',
    'cache:',
    '  mode: redis-cluster',
    'regions:',
  ];
  for (let r = 0; r < REGIONS; r++) {
    const shards = Array.from(
      { length: SHARDS_PER_REGION },
      (_, s) => `db-${r * SHARDS_PER_REGION + s + 1}`,
    );
    lines.push(
      `  - name: region-${String(r + 1).padStart(2, '0')}`,
      `    cluster: { server: https://region-${r + 1}.k8s.example.com }`,
      '    replicas: { min: 2, max: 10 }',
      `    wave: ${Math.floor((r * WAVES) / REGIONS) + 1}`,
      `    host: region-${r + 1}.alfred.example.com`,
      `    shards: [${shards.join(', ')}]`,
      ...(r % 2 === 1 ? ['    cache: region-local'] : []),
    );
  }
  return `${lines.join('\n')}\n`;
}
