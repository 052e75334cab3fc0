/** `pnpm --filter @switchyard/example-ping-pong start` (PORT, default 4100). */
import { start } from './server.js';

const server = await start({ port: Number(process.env.PORT ?? 4100) });
const { tcp } = server.ports;
console.log(`ping-pong on tcp://127.0.0.1:${tcp} (NDJSON handshake, then binary)`);
console.log(`  pnpm --filter @switchyard/example-ping-pong play 127.0.0.1:${tcp}`);
console.log(
  `  echo '{"id":1,"method":"pingpong.hello","input":{"player":"nc"}}' | nc -q1 127.0.0.1 ${tcp}`,
);

const stop = (): void => {
  server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
