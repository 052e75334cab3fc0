import { generate } from 'selfsigned';

/**
 * QUIC always runs over TLS 1.3. For a demo on localhost a throwaway
 * self-signed certificate is enough; it acts as its own CA (basicConstraints
 * cA), which quiche requires of a trust anchor. Use a real certificate in
 * production.
 */
export async function localhostCertificate(): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 7 * 86_400_000),
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
