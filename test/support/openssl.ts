/**
 * The openssl CLI for test PKIs (the fake API server's, the real control plane's): a CA and a
 * serving certificate it signs. Argument vectors through execFile, never a shell string.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 20_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new Error(`openssl ${args[0] ?? ''} failed: ${err.message}\n${stderr}`));
    });
  });
}

/** A new P-256 key, unencrypted: what `-newkey` takes for every certificate here. */
export const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'] as const;

/** Writes a self-signed CA, ca.key and ca.crt, into `dir` (private to the caller). */
export async function makeCa(dir: string, commonName: string): Promise<void> {
  await writeFile(join(dir, 'ca.cnf'), `[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = ${commonName}
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
`);
  await openssl(['req', '-x509', '-config', 'ca.cnf', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2'], dir);
}

/** Writes NAME.key and NAME.crt, kube-apiserver's serving certificate for `sans` (`IP:…`, `DNS:…`), signed by makeCa's CA. */
export async function makeServingCert(dir: string, name: string, sans: string[]): Promise<void> {
  await writeFile(join(dir, `${name}.cnf`), `[req]
distinguished_name = dn
prompt = no
[dn]
CN = kube-apiserver
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${sans.join(',')}
authorityKeyIdentifier = keyid
`);
  await openssl(['req', '-new', '-config', `${name}.cnf`, ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`,
    '-days', '2', '-extfile', `${name}.cnf`, '-extensions', 'v3_server'], dir);
}
