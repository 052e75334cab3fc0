import { streamGateway } from '@switchyard/core';
import { connectSession, listen } from '@switchyard/tcp';
import { conformanceSuite } from './conformance.js';
import { connectQuic } from './connect-quic.js';
import { quicGateway } from './quic-gateway.js';
import { testTls } from './test-tls.js';

// The same cases over TCP (the reference transport) and over QUIC. Each case and
// its expect() assertions live in conformance.ts, shared by all three transports.
conformanceSuite('TCP', {
  async start(makeEdge) {
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const edge = makeEdge([streamGateway(listener, { keepalive: false })]);
    await edge.start();
    const port = listener.address.port!;
    return {
      connect: () => connectSession({ host: '127.0.0.1', port }, { keepalive: false }),
      stop: () => edge.shutdown({ timeout: 1000 }),
    };
  },
});

for (const streamPerCall of [true, false]) {
  conformanceSuite(
    streamPerCall ? 'QUIC (a stream per call)' : 'QUIC (calls on the control stream)',
    {
      async start(makeEdge) {
        const tls = await testTls();
        const gateway = quicGateway({ host: '127.0.0.1', port: 0, tls, keepalive: false });
        const edge = makeEdge([gateway]);
        await edge.start();
        const port = gateway.address!.port;
        return {
          connect: () =>
            connectQuic({
              host: '127.0.0.1',
              port,
              tls: { ca: tls.cert, serverName: 'localhost' },
              keepalive: false,
              streamPerCall,
            }),
          stop: () => edge.shutdown({ timeout: 1000 }),
        };
      },
    },
  );
}
