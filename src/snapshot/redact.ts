/**
 * `--redact`: rewrites a snapshot so it can be pasted into a ticket. Names (namespaces, services,
 * pods, nodes and their host names, other objects, service accounts, label keys and values,
 * images, the context) become stable pseudonyms such as `svc-2`; public addresses become
 * prefix-preserving pseudonyms (redact-addresses.ts). The same original gets the same pseudonym
 * everywhere in the document (objects, rule comments, nft chain names), so a redacted snapshot
 * replays to the same findings as the original.
 *
 * What no diagnosis needs and may identify a company is dropped rather than renamed: annotations
 * other than the Service/EndpointSlice ones kube-proxy reads, cloud provider IDs, machine IDs.
 */
import { addressPseudonyms } from './redact-addresses.js';
import { Pseudonyms, SYSTEM_NAMESPACES } from './redact-names.js';
import type { ClusterState, KubeObject, Snapshot } from './schema.js';

type Rewrite = (s: string) => string;

function isSystem(o: KubeObject): boolean {
  return o.metadata.namespace !== undefined && SYSTEM_NAMESPACES.has(o.metadata.namespace);
}

function allObjects(c: ClusterState): KubeObject[] {
  const one = (o: KubeObject | null): KubeObject[] => (o === null ? [] : [o]);
  return [
    ...c.services, ...c.endpointSlices, ...c.pods, ...c.nodes, ...c.networkPolicies,
    ...one(c.kubeProxy.configMap), ...one(c.kubeProxy.daemonSet), ...c.kubeProxy.pods,
    ...one(c.coreDns.deployment), ...one(c.coreDns.service), ...c.coreDns.endpointSlices,
  ];
}

interface Mapper {
  /** `key` is the value's own key, `parent` the key of the object holding it. */
  value(s: string, key: string, parent: string): string;
  key?(k: string, parent: string): string;
}

/** Deep-maps a JSON value's strings (and, where the mapper says, its keys). */
function mapJson(v: unknown, m: Mapper, key = '', parent = ''): unknown {
  if (typeof v === 'string') return m.value(v, key, parent);
  if (Array.isArray(v)) return v.map((x) => mapJson(x, m, key, parent));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [m.key ? m.key(k, key) : k, mapJson(x, m, k, key)]));
  }
  return v;
}

/** Objects whose keys are label keys and values label values. */
const LABEL_MAPS = new Set(['labels', 'matchLabels', 'selector', 'nodeSelector']);
/** Values that are API vocabulary, never names. */
const VOCABULARY_KEYS = new Set(['apiVersion', 'kind', 'type', 'protocol', 'phase', 'status', 'reason', 'operator', 'effect', 'addressType', 'appProtocol']);
/** Annotations a NodePort diagnosis may read; every other annotation is dropped. */
const KEPT_ANNOTATION = /^(service|endpointslice|endpoints)\.kubernetes\.io\//;
/** Label keys that are Kubernetes' own vocabulary, or unprefixed (`app`); others may name a company. */
const KEPT_LABEL_KEY = /^([^/]*$|([a-z0-9-]+\.)*(kubernetes\.io|k8s\.io)\/)/;
/** nft -j keys whose values are nft keywords, never names. */
const NFT_VOCABULARY = new Set(['family', 'type', 'hook', 'policy', 'op', 'protocol', 'field', 'base', 'key', 'l4proto', 'flags', 'dir']);
/** Corefile names that are the cluster's own, not the company's. */
const KEPT_DOMAIN = /(^|\.)(cluster\.local|in-addr\.arpa|ip6\.arpa)$/;

export function redactSnapshot(snapshot: Snapshot): Snapshot {
  const c = snapshot.cluster;
  const user = allObjects(c).filter((o) => !isSystem(o));
  const names = new Pseudonyms();
  names.add('ns', [...user.map((o) => o.metadata.namespace ?? ''), snapshot.target.namespace ?? '']);
  names.add('node', c.nodes.map((o) => o.metadata.name).concat(snapshot.nodes.map((n) => n.name)));
  names.add('host', c.nodes.flatMap((n) => ((n.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? [])
    .filter((a) => a.type.endsWith('DNS') || a.type === 'Hostname').map((a) => a.address)));
  names.add('svc', c.services.filter((o) => !isSystem(o)).map((o) => o.metadata.name).concat(snapshot.target.service ?? ''));
  names.add('pod', c.pods.filter((o) => !isSystem(o)).map((o) => o.metadata.name));
  names.add('obj', user.map((o) => o.metadata.name));
  const text = JSON.stringify(user);
  names.add('sa', text.match(/(?<="serviceAccountName":")[^"]+/g) ?? []);
  names.add('host', text.match(/(?<="hostname":")[^"]+/g) ?? []); // load balancer ingress host names
  names.add('image', text.match(/(?<="image":")[^"]+/g) ?? []);
  names.add('context', [snapshot.source.context ?? '']);
  const rename = names.replacer();
  const readdress = addressPseudonyms(JSON.stringify(snapshot));
  const both: Rewrite = (s) => readdress(rename(s));

  // Label keys and values: exact lookups, so `tier: web` does not rewrite every "web" in the document.
  const labels = new Pseudonyms();
  const labelKey = (k: string) => (KEPT_LABEL_KEY.test(k) ? k : labels.getOrAdd('label-key', k));
  const labelValue = (v: string) => names.get(v) ?? labels.getOrAdd('label', v);
  const objectMapper: Mapper = {
    value(s, key, parent) {
      if (VOCABULARY_KEYS.has(key)) return s;
      if (LABEL_MAPS.has(parent)) return labelValue(s);
      if (parent === 'matchExpressions' && key === 'values') return labelValue(s);
      if (parent === 'matchExpressions' && key === 'key') return labelKey(s);
      return both(s);
    },
    key: (k, parent) => (LABEL_MAPS.has(parent) ? labelKey(k) : k),
  };
  const redactObject = (o: KubeObject): KubeObject => {
    const annotations = Object.fromEntries(Object.entries((o.metadata.annotations as Record<string, string> | undefined) ?? {}).filter(([k]) => KEPT_ANNOTATION.test(k)));
    let kept: KubeObject = { ...o, metadata: { ...o.metadata, annotations } };
    if (o.kind === 'Node') kept = withoutNodeIdentity(kept);
    // System objects: their own names stay, but node names and addresses in them do not.
    return mapJson(kept, isSystem(o) ? { value: (s, key) => (VOCABULARY_KEYS.has(key) ? s : both(s)) } : objectMapper) as KubeObject;
  };
  const all = (os: KubeObject[]): KubeObject[] => os.map(redactObject);
  const one = (o: KubeObject | null): KubeObject | null => (o === null ? null : redactObject(o));

  return {
    ...snapshot,
    redacted: true,
    source: { ...snapshot.source, context: snapshot.source.context === null ? null : rename(snapshot.source.context), server: snapshot.source.server === null ? null : 'https://redacted.invalid' },
    target: {
      namespace: snapshot.target.namespace === null ? null : rename(snapshot.target.namespace),
      service: snapshot.target.service === null ? null : rename(snapshot.target.service),
    },
    cluster: {
      services: all(c.services),
      endpointSlices: all(c.endpointSlices),
      pods: all(c.pods),
      nodes: all(c.nodes),
      networkPolicies: all(c.networkPolicies),
      kubeProxy: {
        configMap: one(c.kubeProxy.configMap),
        daemonSet: one(c.kubeProxy.daemonSet),
        pods: all(c.kubeProxy.pods),
        config: c.kubeProxy.config === null ? null : (mapJson(c.kubeProxy.config, { value: readdress }) as typeof c.kubeProxy.config),
      },
      coreDns: {
        deployment: one(c.coreDns.deployment),
        service: one(c.coreDns.service),
        endpointSlices: all(c.coreDns.endpointSlices),
        corefile: c.coreDns.corefile === null ? null : readdress(redactDomains(c.coreDns.corefile)),
      },
      apiServer: c.apiServer,
    },
    nodes: snapshot.nodes.map((n) => ({
      ...n,
      name: rename(n.name),
      address: n.address === null ? null : readdress(n.address),
      commands: Object.fromEntries(
        Object.entries(n.commands).map(([id, out]) => {
          // Names appear only in rule comments (iptables) and nft names; other outputs (addresses,
          // routes, sysctls, sockets) hold addresses only, and renaming inside them could hit a key.
          const stdout = /^ip6?tables-.*save$/.test(id) ? redactIptablesComments(out.stdout, rename)
            : id === 'nft-ruleset' ? redactNft(out.stdout, rename)
            : out.stdout;
          return [id, { ...out, stdout: readdress(stdout), stderr: both(out.stderr) }];
        }),
      ),
    })),
    errors: snapshot.errors.map((e) => ({
      ...e,
      ...(e.node !== undefined ? { node: both(e.node) } : {}),
      what: both(e.what),
      why: both(e.why),
      ...(e.hint !== undefined ? { hint: both(e.hint) } : {}),
    })),
  };
}

/** Cloud and machine identity of a Node: no diagnosis reads it. */
function withoutNodeIdentity(node: KubeObject): KubeObject {
  const spec = { ...(node.spec as Record<string, unknown> | undefined) };
  delete spec.providerID;
  const status = { ...(node.status as Record<string, unknown> | undefined) };
  const info = { ...(status.nodeInfo as Record<string, unknown> | undefined) };
  for (const k of ['machineID', 'systemUUID', 'bootID']) delete info[k];
  if (status.nodeInfo !== undefined) status.nodeInfo = info;
  delete status.images;
  return { ...node, spec, status };
}

/** iptables-save: names appear only in rule comments, so only comments are rewritten. */
function redactIptablesComments(dump: string, rename: Rewrite): string {
  return dump.replace(/--comment ("(?:[^"\\]|\\.)*"|\S+)/g, (_m, c: string) => `--comment ${rename(c)}`);
}

/** nft -j: kube-proxy's nftables mode puts namespace/name into chain, set and element names and comments. */
function redactNft(json: string, rename: Rewrite): string {
  try {
    return JSON.stringify(mapJson(JSON.parse(json), { value: (s, key) => (NFT_VOCABULARY.has(key) ? s : rename(s)) }));
  } catch {
    // Not JSON (the command failed and printed text): rewrite it all rather than leak names.
    return rename(json);
  }
}

/** The Corefile's own domains (stub zones, forwarders by name) become `domain-N.invalid`. */
function redactDomains(corefile: string): string {
  const domains = new Pseudonyms();
  return corefile.replace(/(?<![\w.-])(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*\.?(?![\w-])/gi, (d) => {
    const bare = d.replace(/\.$/, '');
    if (KEPT_DOMAIN.test(bare) || /^\d/.test(bare) || !bare.includes('.')) return d;
    return `${domains.getOrAdd('domain', bare.toLowerCase())}.invalid`;
  });
}
