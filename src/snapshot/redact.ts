/**
 * `--redact`: rewrites a snapshot so it can be pasted into a ticket. Names (namespaces, services,
 * pods, nodes and their host names, other objects, service accounts, label keys and values,
 * images, the context) become stable pseudonyms such as `svc-2`; public addresses become
 * prefix-preserving pseudonyms (redact-addresses.ts). The same original gets the same pseudonym
 * everywhere in the document (objects, rule comments, nft chain names), so a redacted snapshot
 * replays to the same findings as the original.
 *
 * Also rewritten: kube-proxy's hashed chain names, with a key drawn for this redaction only
 * (redact-chains.ts); UIDs, container and image IDs, MAC addresses and `ss -p` processes
 * (redact-ids.ts); login users, SSH hosts, key files and fingerprints in gather errors
 * (redact-ssh.ts). What no diagnosis needs is dropped rather than renamed: every object first goes
 * through the snapshot's allow-list again (redact-fields.ts: a snapshot from an older np-doctor
 * may hold probe headers or env values), then annotations other than the Service/EndpointSlice
 * ones kube-proxy reads, cloud provider IDs and machine IDs go.
 */
import { ChunkStore, intoStore } from './chunk-store.js';
import { addressPseudonyms, euiMacsIn } from './redact-addresses.js';
import { ChainHashes } from './redact-chains.js';
import { keepSnapshotFields } from './redact-fields.js';
import { idPseudonyms } from './redact-ids.js';
import { Pseudonyms, serviceNamesInRules, SYSTEM_NAMESPACES } from './redact-names.js';
import { sshDetailsRedactor } from './redact-ssh.js';
import type { GatherStep } from './gather-step.js';
import { HERE, type Probe } from './probe.js';
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

/** Lists whose items' `name` is a container name. */
const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'containerStatuses', 'initContainerStatuses']);
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

export interface RedactOptions {
  /** The chain-hash key; tests only. Each redaction draws its own random key, never stored. */
  chainKey?: Uint8Array;
}

export function redactSnapshot(original: Snapshot, opts: RedactOptions = {}): Snapshot {
  const snapshot = keepSnapshotFields(original);
  const c = snapshot.cluster;
  const user = allObjects(c).filter((o) => !isSystem(o));
  const inRules = serviceNamesInRules(outputsOf(snapshot));
  const names = new Pseudonyms();
  names.add('ns', [...user.map((o) => o.metadata.namespace ?? ''), ...(c.namespaces ?? []).map((n) => n.metadata.name), snapshot.target.namespace ?? '', ...inRules.namespaces]);
  names.add('node', c.nodes.map((o) => o.metadata.name).concat(snapshot.nodes.map((n) => n.name), probeNodes(snapshot.probes ?? [])));
  names.add('host', c.nodes.flatMap((n) => ((n.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? [])
    .filter((a) => a.type.endsWith('DNS') || a.type === 'Hostname').map((a) => a.address)));
  names.add('svc', c.services.filter((o) => !isSystem(o)).map((o) => o.metadata.name).concat(snapshot.target.service ?? '', inRules.services));
  names.add('pod', c.pods.filter((o) => !isSystem(o)).map((o) => o.metadata.name));
  names.add('obj', user.map((o) => o.metadata.name));
  const text = JSON.stringify(user);
  names.add('sa', text.match(/(?<="serviceAccountName":")[^"]+/g) ?? []);
  names.add('host', text.match(/(?<="hostname":")[^"]+/g) ?? []); // load balancer ingress host names
  names.add('image', text.match(/(?<="image":")[^"]+/g) ?? []);
  names.add('context', [snapshot.source.context ?? '']);
  const rename = names.replacer();
  // The document in pieces: a large cluster's outputs together are longer than any one string.
  const document = () => documentPieces(snapshot);
  // IDs go first: a name that happens to look like part of a MAC or UID must not cut through it.
  const outputs = function* () {
    for (const o of outputsOf(snapshot)) yield o.stdout;
  };
  const ids = idPseudonyms(document, euiMacsIn(document), outputs);
  const readdress = addressPseudonyms(document, ids.mac);
  const both: Rewrite = (s) => readdress(rename(ids.text(s)));
  const chains = new ChainHashes(opts.chainKey);
  // Redacted outputs are stored as they are made, each chunk once, as gathered ones are.
  const store = new ChunkStore();
  const renamedErrors = snapshot.errors.map((e) => [e.what, e.why, e.hint ?? ''].map(both));
  const renamedStderr = snapshot.nodes.flatMap((n) => Object.values(n.commands).map((out) => both(out.stderr)));
  const ssh = sshDetailsRedactor([...renamedErrors.flat(), ...renamedStderr]);

  // Label keys and values: exact lookups, so `tier: web` does not rewrite every "web" in the document.
  const labels = new Pseudonyms();
  const labelKey = (k: string) => (KEPT_LABEL_KEY.test(k) ? k : labels.getOrAdd('label-key', k));
  const labelValue = (v: string) => names.get(v) ?? labels.getOrAdd('label', v);
  // Container names: exact lookups too. Generic words ("proxy", "filter") as whole-word
  // replacements would cut into nft table and chain names.
  const containers = new Pseudonyms();
  const containerName = (v: string) => names.get(v) ?? containers.getOrAdd('container', v);
  const objectMapper: Mapper = {
    value(s, key, parent) {
      if (VOCABULARY_KEYS.has(key)) return s;
      if (LABEL_MAPS.has(parent)) return labelValue(s);
      if (parent === 'matchExpressions' && key === 'values') return labelValue(s);
      if (parent === 'matchExpressions' && key === 'key') return labelKey(s);
      if (key === 'name' && CONTAINER_LISTS.has(parent)) return containerName(s);
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
      ...(c.namespaces !== undefined ? { namespaces: all(c.namespaces) } : {}),
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
      // System objects keep their names; the agents' service tables hold Service names and addresses.
      ...(c.proxyReplacement !== undefined ? {
        proxyReplacement: {
          ...c.proxyReplacement,
          ciliumConfig: one(c.proxyReplacement.ciliumConfig),
          agentPods: all(c.proxyReplacement.agentPods),
          ...(c.proxyReplacement.agentOutputs !== undefined ? {
            agentOutputs: c.proxyReplacement.agentOutputs.map((o) => ({ ...o, node: both(o.node), stdout: redactJsonText(o.stdout, both), stderr: ssh.any(both(o.stderr)) })),
          } : {}),
        },
      } : {}),
    },
    nodes: snapshot.nodes.map((n) => ({
      ...n,
      // A node known only by its address (--node-ip) is named by it.
      name: both(n.name),
      address: n.address === null ? null : readdress(n.address),
      commands: Object.fromEntries(
        Object.entries(n.commands).map(([id, out]) => {
          // Names appear only in rule comments (iptables) and nft names; other outputs (addresses,
          // routes, sysctls, sockets) hold addresses only, and renaming inside them could hit a key.
          const stdout = /^ip6?tables-.*save$/.test(id) ? redactIptablesComments(ids.text(out.stdout), rename)
            : id === 'nft-ruleset' ? redactNft(ids.text(out.stdout), rename)
            : ids.text(out.stdout);
          return [id, intoStore(store, { ...out, stdout: chains.rewrite(readdress(stdout)), stderr: chains.rewrite(ssh.any(both(out.stderr))) })];
        }),
      ),
    })),
    ...(snapshot.probes !== undefined ? {
      probes: snapshot.probes.map((p) => redactProbe(p, { name: both, address: readdress, words: (t) => chains.rewrite(ssh.any(both(t))) })),
    } : {}),
    errors: snapshot.errors.map((e, i) => {
      const [what, why, hint] = renamedErrors[i]!;
      const details = e.stage === 'node' ? ssh.nodeError : ssh.any;
      return {
        ...e,
        ...(e.node !== undefined ? { node: details(both(e.node)) } : {}),
        ...(e.step !== undefined ? { step: redactStep(e.step, both) } : {}),
        what: chains.rewrite(details(what!)),
        why: chains.rewrite(details(why!)),
        ...(e.hint !== undefined ? { hint: chains.rewrite(details(hint!)) } : {}),
      };
    }),
  };
}

/** JSON output: its string values renamed, never its keys (a Service named "frontend" must not rename `frontend-address`). */
function redactJsonText(text: string, rewrite: Rewrite): string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return rewrite(text);
  }
  return JSON.stringify(mapJson(v, { value: rewrite }));
}

/** Node names a probe holds: where it was sent from (unless here) and the node it aimed at. */
function probeNodes(probes: readonly Probe[]): string[] {
  return probes.flatMap((p) => [p.node, ...(p.from === HERE ? [] : [p.from])]);
}

/** A probe's names and addresses get the pseudonyms the rest of the document gave them. */
function redactProbe(p: Probe, r: { name: Rewrite; address: Rewrite; words: Rewrite }): Probe {
  return {
    ...p,
    from: p.from === HERE ? HERE : r.name(p.from),
    ...(p.fromAddress !== undefined ? { fromAddress: p.fromAddress === null ? null : r.address(p.fromAddress) } : {}),
    node: r.name(p.node),
    ...(p.pod !== undefined ? { pod: { namespace: r.name(p.pod.namespace), name: r.name(p.pod.name) } } : {}),
    ip: r.address(p.ip),
    ...(p.detail !== undefined ? { detail: r.words(p.detail) } : {}),
  };
}

/** The names in a step get the pseudonyms its words got; kinds, verbs, resources and command ids are vocabulary. */
function redactStep(step: GatherStep, rename: Rewrite): GatherStep {
  if (step.kind !== 'api') return step;
  return {
    ...step,
    ...(step.namespace !== undefined ? { namespace: rename(step.namespace) } : {}),
    ...(step.name !== undefined ? { name: rename(step.name) } : {}),
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

/** Every node's outputs by command id, one at a time (a stored output's text is made when read). */
function* outputsOf(s: Snapshot): Generator<{ id: string; stdout: string }> {
  for (const n of s.nodes) for (const [id, out] of Object.entries(n.commands)) yield { id, stdout: out.stdout };
}

/** The snapshot's JSON in pieces cut between values: the document without outputs, then each output. */
function* documentPieces(s: Snapshot): Generator<string> {
  yield JSON.stringify({ ...s, nodes: s.nodes.map((n) => ({ ...n, commands: Object.keys(n.commands) })) });
  for (const n of s.nodes) {
    for (const out of Object.values(n.commands)) {
      const { stdout, ...rest } = out;
      yield JSON.stringify(rest);
      yield JSON.stringify(stdout);
    }
  }
}
