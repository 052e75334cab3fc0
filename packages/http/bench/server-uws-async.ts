// Reference point, not a target: raw uWebSockets.js answering one microtask
// later, the least any promise-based gateway must do (onAborted, then a corked
// write). The gap to `uws` is the price of an asynchronous dispatch contract.
import uws from 'uWebSockets.js';
import { assertNativeUws } from '../src/native-uws.js';

assertNativeUws(uws);
const app = uws.App();
app.get('/echo/:id', (res, req) => {
  const id = req.getParameter(0);
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  Promise.resolve({ id }).then((value) => {
    if (aborted) return;
    res.cork(() => {
      res.writeHeader('content-type', 'application/json').end(JSON.stringify(value));
    });
  });
});
app.listen('127.0.0.1', 0, (socket) => {
  if (socket === false) {
    console.error('listen failed');
    process.exit(1);
  }
  console.log(`PORT ${uws.us_socket_local_port(socket)}`);
});
