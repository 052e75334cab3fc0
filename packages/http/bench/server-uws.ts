// Baseline: the leanest reasonable uWebSockets.js echo, same body and headers
// as the Switchyard route, so the ratio measures only what the gateway adds.
import uws from 'uWebSockets.js';
import { assertNativeUws } from '../src/native-uws.js';

assertNativeUws(uws);
const app = uws.App();
app.get('/echo/:id', (res, req) => {
  const body = JSON.stringify({ id: req.getParameter(0) });
  res.writeHeader('content-type', 'application/json').end(body);
});
app.listen('127.0.0.1', 0, (socket) => {
  if (socket === false) {
    console.error('listen failed');
    process.exit(1);
  }
  console.log(`PORT ${uws.us_socket_local_port(socket)}`);
});
