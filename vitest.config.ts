import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Integration suites start real servers; running them one file at a time keeps the
          // 2-core CI machine from timing out under load.
          fileParallelism: false,
        },
      },
    ],
  },
});
