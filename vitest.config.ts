import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Property tests run from a fixed seed (LBSIM_FC_SEED to change it).
    setupFiles: ['test/setup/fast-check.ts'],
    // One scratch temp directory per run, removed at its end (test/setup/scratch.ts).
    globalSetup: ['test/setup/scratch.ts'],
    // Statistical tests simulate millions of requests and end-to-end tests spawn the CLI.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: more workers only fight over them.
    maxWorkers: 2,
  },
});
