import type { Connection } from '@switchyard/core';
import { Exchange } from './exchange.js';

/**
 * Adds a header to the HTTP response of the current call, from a handler or
 * middleware: `setResponseHeader(ctx, 'x-total-count', '42')`. Returns false
 * (and does nothing) when the call did not come through this gateway, so the
 * same handler also serves WebSocket or TCP callers. Throws TypeError for
 * invalid names or values and for headers the gateway owns (content-type,
 * content-length, transfer-encoding, connection, …).
 */
export function setResponseHeader(
  ctx: { readonly connection: Connection },
  name: string,
  value: string,
): boolean {
  const connection = ctx.connection;
  if (!(connection instanceof Exchange)) return false;
  connection.setResponseHeader(name, value);
  return true;
}
