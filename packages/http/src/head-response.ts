import type { HttpResponse } from 'uWebSockets.js';

/**
 * Ends the answer to a HEAD request: the headers, with the Content-Length the
 * GET would have had, and no body.
 *
 * Not `res.endWithoutBody(length)`: in uWS v20.30 any length but 0 leaves the
 * response pending, waiting for bytes that never come. Inside a route callback
 * uWS then aborts the whole process ("returning from a request handler without
 * responding"); after an await the answer is never sent and the connection
 * hangs. Passing `closeConnection` needs a first argument, and `undefined`
 * there drops the connection unanswered, so a HEAD answer never closes: a HEAD
 * carries no body that could be left unread, and shutdown closes every
 * connection at its end anyway.
 */
export function endHead(res: HttpResponse, length: number): void {
  res.writeHeader('content-length', String(length));
  res.endWithoutBody();
}
