/** `pnpm --filter @switchyard/example-simple-rest-server start` (PORT, default 3000). */
import { startServer } from './server.js';

const { edge, url } = await startServer(Number(process.env.PORT ?? 3000));
console.log(`todos on ${url}`);
console.log(
  `  curl -X POST -H 'content-type: application/json' -d '{"title":"write docs"}' ${url}/todos`,
);
console.log(`  curl ${url}/todos      curl ${url}/openapi.json`);
const stop = (): void => {
  edge.shutdown({ timeout: 3000 }).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
