import { generate } from 'selfsigned';

/**
 * Test and bench fixture: a throwaway self-signed certificate for
 * "localhost" / 127.0.0.1. It is its own CA (basicConstraints cA), which is
 * what BoringSSL inside quiche needs to accept it as a trust anchor.
 * Not exported from the package.
 */
export interface TestTls {
  key: string;
  cert: string;
}

let cached: Promise<TestTls> | undefined;

export function testTls(): Promise<TestTls> {
  cached ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 2 * 86_400_000),
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  }).then((p) => ({ key: p.private, cert: p.cert }));
  return cached;
}
