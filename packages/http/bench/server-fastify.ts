// Baseline: fastify 5 with a route schema-less echo, its common fast path.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get<{ Params: { id: string } }>('/echo/:id', async (req) => ({ id: req.params.id }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`PORT ${new URL(address).port}`);
