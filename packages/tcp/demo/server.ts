/** Demo echo server: prints `PORT <n>`, serves until stdin closes. */
import { listen } from '../src/index.js';

const l = await listen(
  { host: '127.0.0.1', port: Number(process.argv[2] ?? 0) },
  {
    serve: {
      methods: ['echo'],
      handler: (call) => call.input,
      onReject: (e) => console.error(`[server] ${e.message}`),
    },
  },
);
process.stdout.write(`PORT ${l.address.port}\n`);
process.stdin.resume();
process.stdin.on('close', async () => {
  await l.shutdown();
  process.exit(0);
});
