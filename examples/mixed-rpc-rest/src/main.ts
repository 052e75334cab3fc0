/** `pnpm --filter @switchyard/example-mixed-rpc-rest start` — REST 3000, WS 3001, TCP 3002, QUIC 3003. */
import { startServer } from './server.js';
import { localhostCertificate } from './tls.js';

const tls = await localhostCertificate();
const { edge, addresses } = await startServer({
  http: 3000,
  ws: 3001,
  tcp: 3002,
  quic: { port: 3003, tls },
});
const a = addresses();
console.log(
  `calc over REST http://${a.http}, WebSocket ws://${a.ws}, TCP ${a.tcp}, QUIC ${a.quic}`,
);
console.log(
  `  curl -X POST -H 'content-type: application/json' -d '{"a":2,"b":3}' http://${a.http}/add`,
);
console.log(`  curl http://${a.http}/square/7`);
console.log(`  WebSocket text: {"id":1,"method":"add","input":{"a":2,"b":3}}`);
console.log(
  `  TCP text (nc ${String(a.tcp).replace(':', ' ')}): {"id":1,"method":"add","input":{"a":2,"b":3}}`,
);
const stop = (): void => {
  edge.shutdown({ timeout: 3000 }).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
