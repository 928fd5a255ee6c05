import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node (pure core, golden trees, CLI on temp dirs);
// `integration` runs against real etcd + kube-apiserver processes started by the global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/golden/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/cluster/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 1_200_000,
          // The clusters are shared: files run one after another so hand changes made by
          // one test never show up in another's check.
          fileParallelism: false,
        },
      },
    ],
  },
});
