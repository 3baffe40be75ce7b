import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['./test/harness/dist/global-setup.js'],
    // Tests wait on PostgreSQL and the Pub/Sub emulator far more than on the CPU.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // No GCE metadata server here: stop google-auth-library from probing for one (and warning).
    env: { METADATA_SERVER_DETECTION: 'none' },
  },
});
