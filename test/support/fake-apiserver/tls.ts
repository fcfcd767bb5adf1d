/**
 * A throwaway PKI per fake apiserver: a CA and a server certificate for IP 127.0.0.1 (and
 * localhost), both made with the openssl CLI. The client verifies the server against the CA from
 * the kubeconfig exactly as it would against a cluster CA; nothing runs with TLS checks disabled.
 * openssl gets argument vectors through execFile, never a shell string.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EC_KEY, openssl } from '../openssl.js';

export interface TlsMaterial {
  caFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

const CA_CONFIG = `[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = np-doctor-fake-apiserver-ca
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
`;

const SERVER_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = kube-apiserver
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc
authorityKeyIdentifier = keyid
`;

/** Writes ca.{key,crt} and server.{key,crt} into `dir` (which should be private to the caller). */
export async function generateTls(dir: string): Promise<TlsMaterial> {
  await writeFile(join(dir, 'ca.cnf'), CA_CONFIG);
  await writeFile(join(dir, 'server.cnf'), SERVER_CONFIG);
  const ec = EC_KEY;
  await openssl(['req', '-x509', '-config', 'ca.cnf', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2'], dir);
  await openssl(['req', '-new', '-config', 'server.cnf', ...ec, '-keyout', 'server.key', '-out', 'server.csr'], dir);
  await openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt',
      '-days', '2', '-extfile', 'server.cnf', '-extensions', 'v3_server'],
    dir,
  );
  const [caPem, certPem, keyPem] = await Promise.all(['ca.crt', 'server.crt', 'server.key'].map((f) => readFile(join(dir, f), 'utf8')));
  return { caFile: join(dir, 'ca.crt'), caPem: caPem as string, certPem: certPem as string, keyPem: keyPem as string };
}
