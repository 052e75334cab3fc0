/** Parses "host:port" (IPv6 in brackets); throws a clear error for anything else. */
export function parseHostPort(address: string): { host: string; port: number } {
  const at = typeof address === 'string' ? address.lastIndexOf(':') : -1;
  const port = at > 0 ? Number(address.slice(at + 1)) : Number.NaN;
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new TypeError(`expected "host:port", got ${JSON.stringify(address)}`);
  }
  let host = address.slice(0, at);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
