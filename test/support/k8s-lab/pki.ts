/**
 * The real control plane's PKI, made with the openssl CLI as kubeadm would lay it out: one CA
 * that signs the apiserver's serving certificate and every client certificate (the apiserver's
 * --client-ca-file), plus an RSA key pair for signing service account tokens. Client
 * certificates authenticate as CN = user name, O = groups (system:masters is the admin).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EC_KEY, makeCa, makeServingCert, openssl } from '../openssl.js';

export interface Pki {
  dir: string;
  caFile: string;
  servingCert: string;
  servingKey: string;
  saKey: string;
  saPub: string;
}

export interface ClientCert {
  cert: string;
  key: string;
}

/** SANs: every address the apiserver is dialled at, and the in-cluster names and ClusterIP. */
function servingSans(addresses: string[], clusterIp: string): string[] {
  const ips = [...new Set(['127.0.0.1', ...addresses, clusterIp])].map((a) => `IP:${a}`);
  return [...ips, 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local'];
}

const CLIENT_EXT = `[v3_client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

export async function makePki(dir: string, addresses: string[], clusterIp: string): Promise<Pki> {
  await makeCa(dir, 'np-doctor-lab-ca');
  await makeServingCert(dir, 'serving', servingSans(addresses, clusterIp));
  await writeFile(join(dir, 'client.cnf'), CLIENT_EXT);
  // Service account tokens: RS256, which every apiserver version verifies.
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return {
    dir, caFile: join(dir, 'ca.crt'), servingCert: join(dir, 'serving.crt'), servingKey: join(dir, 'serving.key'),
    saKey: join(dir, 'sa.key'), saPub: join(dir, 'sa.pub'),
  };
}

/** A client certificate for `user` in `groups`; `file` names the files (user names hold ':'). */
export async function clientCert(pki: Pki, file: string, user: string, groups: string[] = []): Promise<ClientCert> {
  // openssl -subj takes /-separated RDNs; names here are ours (no '/' or '=' in them).
  const subj = `/CN=${user}${groups.map((g) => `/O=${g}`).join('')}`;
  await openssl(['req', '-new', ...EC_KEY, '-subj', subj, '-keyout', `${file}.key`, '-out', `${file}.csr`], pki.dir);
  await openssl(['x509', '-req', '-in', `${file}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${file}.crt`,
    '-days', '2', '-extfile', 'client.cnf', '-extensions', 'v3_client'], pki.dir);
  return { cert: join(pki.dir, `${file}.crt`), key: join(pki.dir, `${file}.key`) };
}

/** A kubeconfig that embeds the CA and the client certificate (so it can be copied anywhere). */
export async function writeKubeconfig(path: string, server: string, pki: Pki, client: ClientCert, user: string, namespace = 'default'): Promise<string> {
  const [ca, cert, key] = await Promise.all([pki.caFile, client.cert, client.key].map(async (f) => Buffer.from(await readFile(f)).toString('base64')));
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lab', cluster: { server, 'certificate-authority-data': ca } }],
    users: [{ name: user, user: { 'client-certificate-data': cert, 'client-key-data': key } }],
    contexts: [{ name: 'lab', context: { cluster: 'lab', user, namespace } }],
    'current-context': 'lab',
  };
  // JSON is YAML: every Kubernetes client reads it.
  await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  return path;
}
