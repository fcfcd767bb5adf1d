/**
 * Kubeconfig files pointing at a fake apiserver, in the shape `kubectl config view --raw` prints:
 * the CA inline as certificate-authority-data, a bearer token, one context. YAML by default (what
 * users have), JSON on request (also valid kubeconfig: client-node parses it with its YAML loader).
 */
import { writeFile } from 'node:fs/promises';

export interface KubeconfigOptions {
  /** Where to write; the fake's own temp dir when written through FakeApiserver.writeKubeconfig. */
  path: string;
  server: string;
  caPem: string;
  token: string;
  /** Context name; it also names the cluster and user unless those are given. */
  context: string;
  cluster?: string;
  user?: string;
  /** The context's default namespace; left out when undefined (client then uses "default"). */
  namespace?: string;
  format?: 'yaml' | 'json';
}

/** Double-quoted YAML scalars are a superset of JSON strings, so JSON.stringify quotes safely. */
const q = (s: string): string => JSON.stringify(s);

export async function writeKubeconfig(o: KubeconfigOptions): Promise<string> {
  const cluster = o.cluster ?? o.context;
  const user = o.user ?? o.context;
  const caData = Buffer.from(o.caPem).toString('base64');
  let text: string;
  if (o.format === 'json') {
    const context: Record<string, string> = { cluster, user };
    if (o.namespace !== undefined) context.namespace = o.namespace;
    text = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: cluster, cluster: { server: o.server, 'certificate-authority-data': caData } }],
        users: [{ name: user, user: { token: o.token } }],
        contexts: [{ name: o.context, context }],
        'current-context': o.context,
        preferences: {},
      },
      null,
      2,
    );
  } else {
    text = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- cluster:',
      `    certificate-authority-data: ${caData}`,
      `    server: ${q(o.server)}`,
      `  name: ${q(cluster)}`,
      'contexts:',
      '- context:',
      `    cluster: ${q(cluster)}`,
      ...(o.namespace !== undefined ? [`    namespace: ${q(o.namespace)}`] : []),
      `    user: ${q(user)}`,
      `  name: ${q(o.context)}`,
      `current-context: ${q(o.context)}`,
      'preferences: {}',
      'users:',
      `- name: ${q(user)}`,
      '  user:',
      `    token: ${q(o.token)}`,
      '',
    ].join('\n');
  }
  await writeFile(o.path, text, { mode: 0o600 });
  return o.path;
}
