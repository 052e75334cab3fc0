import type { SecureContextOptions } from 'node:tls';

/** Where to listen or connect: a TCP host/port or a Unix socket path. */
export type Address = { host?: string; port: number } | { path: string };

/** TLS material: node:tls secure-context options (key, cert, ca, …) plus the usual extras. */
export interface TlsOptions extends SecureContextOptions {
  /** Client: verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Client: the name to verify (default the host). */
  servername?: string;
  /** Server: ask clients for a certificate. */
  requestCert?: boolean;
}

export function describeAddress(a: Address): string {
  return 'path' in a ? `unix:${a.path}` : `${a.host ?? '127.0.0.1'}:${a.port}`;
}
