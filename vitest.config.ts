import { defineConfig } from 'vitest/config';

// Every package, example and cross-package test folder is its own vitest project,
// so `pnpm test` at the root runs them all in one process tree and one summary.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*', 'benchmarks'],
    // Randomized tests print their seed; a slow 2-core CI machine needs headroom.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
