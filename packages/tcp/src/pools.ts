import {
  ClientPool,
  type ClientPoolOptions,
  FailoverPool,
  type FailoverPoolOptions,
} from '@switchyard/stream';
import type { Address } from './address.js';
import { type ConnectSessionOptions, connectSession } from './connect.js';

/**
 * A ClientPool over TCP/TLS/Unix to one address: sessions reconnect with
 * backoff and jitter after the server goes away and comes back.
 */
export function createClientPool(
  address: Address,
  options: ConnectSessionOptions & { pool?: Omit<ClientPoolOptions, 'connect'> } = {},
): ClientPool {
  const { pool, ...connectOptions } = options;
  return new ClientPool({ ...pool, connect: () => connectSession(address, connectOptions) });
}

/** A FailoverPool over several addresses (replicas), each with its own ClientPool. */
export function createFailoverPool(
  addresses: readonly Address[],
  options: ConnectSessionOptions & {
    failover?: Omit<FailoverPoolOptions<Address>, 'addresses' | 'connect'>;
  } = {},
): FailoverPool<Address> {
  const { failover, ...connectOptions } = options;
  return new FailoverPool<Address>({
    ...failover,
    addresses,
    connect: (a) => connectSession(a, connectOptions),
  });
}
