/**
 * A throwaway PKI per fake apiserver: a CA and a server certificate for IP 127.0.0.1 (and
 * localhost), both made with the openssl CLI. The client verifies the server against the CA from
 * the kubeconfig exactly as it would against a cluster CA; nothing runs with TLS checks disabled.
 * openssl gets argument vectors through execFile, never a shell string.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeCa, makeServingCert } from '../openssl.js';

export interface TlsMaterial {
  caFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Writes ca.{key,crt} and server.{key,crt} into `dir` (which should be private to the caller). */
export async function generateTls(dir: string): Promise<TlsMaterial> {
  await makeCa(dir, 'np-doctor-fake-apiserver-ca');
  await makeServingCert(dir, 'server', ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default.svc']);
  const [caPem, certPem, keyPem] = await Promise.all(['ca.crt', 'server.crt', 'server.key'].map((f) => readFile(join(dir, f), 'utf8')));
  return { caFile: join(dir, 'ca.crt'), caPem: caPem as string, certPem: certPem as string, keyPem: keyPem as string };
}
