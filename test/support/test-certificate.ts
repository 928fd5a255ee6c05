import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throwaway self-signed certificate (P-256, valid one day) for the given DNS names and
 * IP addresses, made with openssl in `dir`. `certFile` can be trusted by a child process
 * through NODE_EXTRA_CA_CERTS, as a runner trusts a company's CA.
 */
export function makeTestCertificate(
  dir: string,
  names: { dns?: string[]; ip?: string[] },
): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'test-server.key');
  const certFile = join(dir, 'test-server.crt');
  const san = [
    ...(names.dns ?? []).map((n) => `DNS:${n}`),
    ...(names.ip ?? []).map((n) => `IP:${n}`),
  ].join(',');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      `/CN=${names.dns?.[0] ?? names.ip?.[0] ?? 'test'}`,
      '-addext',
      `subjectAltName=${san}`,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}
