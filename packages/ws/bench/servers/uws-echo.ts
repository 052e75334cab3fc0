/** Baseline: raw uWebSockets.js echo, the ceiling Switchyard is measured against. */
import uWS from 'uWebSockets.js';
import { assertNativeUws } from '../../src/native-check.js';
import { announce } from './announce.js';

assertNativeUws(uWS);
uWS
  .App()
  .ws('/*', {
    maxPayloadLength: 1024 * 1024,
    maxBackpressure: 1024 * 1024,
    idleTimeout: 0,
    message: (ws, message, isBinary) => {
      ws.send(message, isBinary);
    },
  })
  .listen('127.0.0.1', 0, (socket) => {
    if (!socket) throw new Error('uWS listen failed');
    announce(uWS.us_socket_local_port(socket));
  });
