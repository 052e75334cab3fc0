import { defineConfig } from 'tsup';

export default defineConfig({
  // The server entry, the Node client and the browser client (no Node built-ins).
  entry: ['src/index.ts', 'src/client-node.ts', 'src/client-browser.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Peer and runtime dependencies stay imports; nothing native is bundled.
  external: ['uWebSockets.js', 'ws'],
});
