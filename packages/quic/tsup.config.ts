import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The optional peer is loaded at run time with import() (it is ESM-only), never bundled.
  external: ['@matrixai/quic'],
});
