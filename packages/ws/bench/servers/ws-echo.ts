/** Baseline: the `ws` package's server echo, the common Node choice. */
import { WebSocketServer } from 'ws';
import { announce } from './announce.js';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    socket.send(data, { binary: isBinary });
  });
});
server.on('listening', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected pipe address');
  announce(address.port);
});
