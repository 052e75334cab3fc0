import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Every package, example and the benchmarks folder is its own vitest project,
 * so `pnpm test` at the root runs them all with one summary. Projects are
 * listed inline with `extends: true` so the root options below (timeouts) reach
 * them; a glob like 'packages/*' would not inherit them.
 */
const folders = ['packages', 'examples'].flatMap((parent) =>
  existsSync(parent) ? readdirSync(parent).map((name) => join(parent, name)) : [],
);
if (existsSync('benchmarks/package.json')) folders.push('benchmarks');

const projects = folders
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({
    extends: true as const,
    test: {
      name: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name as string,
      root: dir,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    },
  }));

export default defineConfig({
  test: {
    projects,
    // A slow, shared 2-core CI machine needs headroom; tests still bound their own waits.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
