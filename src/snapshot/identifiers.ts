/**
 * Kubernetes' own rules for the identifiers a snapshot carries, and where a snapshot carries them.
 * A snapshot file is attacker-controlled (it arrives in a ticket): a name is later printed, put
 * into a kubectl command line a person copies, or matched against rules, so any value the API
 * server itself would refuse is refused at load (DESIGN §3a).
 *
 * The rules, re-expressed from k8s.io/apimachinery:
 * - pkg/util/validation: IsDNS1123Label, IsDNS1123Subdomain, IsDNS1035Label, IsValidPortName
 *   (IANA_SVC_NAME, RFC 6335 with lower case only);
 * - pkg/api/validate/content: IsLabelKey (formerly IsQualifiedName) and IsLabelValue.
 * Which rule holds for which field, from k8s.io/kubernetes pkg/apis/core/validation and
 * pkg/apis/discovery/validation and apimachinery pkg/apis/meta/v1/validation:
 * - Service names are DNS-1035 labels (ValidateServiceName), Namespace names and container names
 *   DNS-1123 labels, Pod, Node, EndpointSlice and most other object names DNS-1123 subdomains;
 * - label keys and values in labels, Service selectors and label selectors (matchLabels,
 *   matchExpressions keys and values);
 * - container port names are IANA service names, as is a Service targetPort or NetworkPolicy port
 *   given by name; Service and EndpointSlice port names are DNS-1123 labels.
 *
 * Lengths are counted in characters here and in bytes upstream; every rule allows ASCII only, so
 * a value where the two differ is refused either way.
 */
import { isIP } from 'node:net';
import { sanitize } from '../text/sanitize.js';
import type { KubeObject, Snapshot } from './schema.js';
import { HERE } from './probe.js';
import { SnapshotError } from './limits.js';
import { cut } from '../text/cut.js';

interface Rule {
  /** What the value must be, for the error message. */
  readonly what: string;
  readonly valid: (v: string) => boolean;
}

const DNS1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/;
/** The name part of a label key, and a non-empty label value. */
const LABEL_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const isSubdomain = (v: string): boolean => v.length <= 253 && DNS1123_SUBDOMAIN.test(v);

export const RULES = {
  dns1123Label: {
    what: 'a DNS-1123 label: at most 63 lower-case letters, digits or "-", starting and ending with a letter or digit',
    valid: (v) => v.length <= 63 && DNS1123_LABEL.test(v),
  },
  dns1123Subdomain: {
    what: 'a DNS-1123 subdomain: at most 253 characters, DNS-1123 labels (lower-case letters, digits, "-") joined by "."',
    valid: isSubdomain,
  },
  dns1035Label: {
    what: 'a DNS-1035 label: at most 63 lower-case letters, digits or "-", starting with a letter and ending with a letter or digit',
    valid: (v) => v.length <= 63 && DNS1035_LABEL.test(v),
  },
  labelKey: {
    what: 'a label key: an optional DNS-1123 subdomain and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    valid: (v) => {
      const parts = v.split('/');
      if (parts.length > 2) return false;
      const name = parts[parts.length - 1]!;
      if (parts.length === 2 && !isSubdomain(parts[0]!)) return false;
      return name.length <= 63 && LABEL_NAME.test(name);
    },
  },
  labelValue: {
    what: 'a label value: empty, or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    valid: (v) => v === '' || (v.length <= 63 && LABEL_NAME.test(v)),
  },
  portName: {
    what: 'an IANA service name: at most 15 lower-case letters, digits or "-", at least one letter, no "-" at either end and no "--"',
    valid: (v) => v.length <= 15 && /^[-a-z0-9]+$/.test(v) && /[a-z]/.test(v) && !v.includes('--') && !v.startsWith('-') && !v.endsWith('-'),
  },
  // np-doctor names a node it reached only by `--node-ip` (no Node object lists the address) by that address.
  nodeStateName: {
    what: 'a node name (a DNS-1123 subdomain) or an IP address',
    valid: (v) => isSubdomain(v) || isIP(v) !== 0,
  },
} as const satisfies Record<string, Rule>;

export type RuleName = keyof typeof RULES;

/** True when `value` follows the rule. */
export function follows(rule: RuleName, value: string): boolean {
  return RULES[rule].valid(value);
}

export interface IdentifierProblem {
  /** Where, as a JSON path: `cluster.pods[3].metadata.labels["app"]`. */
  path: string;
  /** The value, sanitised and shortened for a person to read. */
  shown: string;
  rule: RuleName;
}

/** At most this many characters of a bad value are shown. */
const SHOWN_CHARS = 80;

/** A field name, an array index, or a key of a map (labels, selectors): `["app"]`. */
type Seg = string | number | { key: string };

function pathText(segs: readonly Seg[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string') out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s.key)}]`;
  }
  return sanitize(out);
}

function shown(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  const bounded = cut(text, SHOWN_CHARS);
  return typeof v === 'string' ? `"${sanitize(bounded)}"` : `${sanitize(bounded)} (not a string)`;
}

const rec = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Collects the problems of one snapshot, up to `limit`. */
class Walk {
  readonly problems: IdentifierProblem[] = [];
  count = 0;

  constructor(private readonly limit: number) {}

  /** An identifier that may be absent (undefined or null); anything else must follow the rule. */
  value(at: readonly Seg[], v: unknown, rule: RuleName): void {
    if (v === undefined || v === null) return;
    if (typeof v === 'string' && follows(rule, v)) return;
    this.count++;
    if (this.problems.length < this.limit) this.problems.push({ path: pathText(at), shown: shown(v), rule });
  }

  /** A port that is a number or a name (Service targetPort, NetworkPolicy port). */
  portNumberOrName(at: readonly Seg[], v: unknown): void {
    if (typeof v === 'string' && !/^\d+$/.test(v)) this.value(at, v, 'portName');
  }

  labels(at: readonly Seg[], v: unknown): void {
    for (const [k, x] of Object.entries(rec(v) ?? {})) {
      this.value([...at, { key: k }], k, 'labelKey');
      this.value([...at, { key: k }], x, 'labelValue');
    }
  }

  selector(at: readonly Seg[], v: unknown): void {
    const s = rec(v);
    if (s === undefined) return;
    this.labels([...at, 'matchLabels'], s.matchLabels);
    list(s.matchExpressions).forEach((e, i) => {
      const r = rec(e);
      this.value([...at, 'matchExpressions', i, 'key'], r?.key, 'labelKey');
      list(r?.values).forEach((x, j) => this.value([...at, 'matchExpressions', i, 'values', j], x, 'labelValue'));
    });
  }

  metadata(at: readonly Seg[], o: KubeObject, name: RuleName): void {
    this.value([...at, 'metadata', 'name'], o.metadata.name, name);
    this.value([...at, 'metadata', 'namespace'], o.metadata.namespace, 'dns1123Label');
    this.labels([...at, 'metadata', 'labels'], o.metadata.labels);
  }

  podSpec(at: readonly Seg[], v: unknown): void {
    const spec = rec(v);
    if (spec === undefined) return;
    this.value([...at, 'nodeName'], spec.nodeName, 'dns1123Subdomain');
    for (const key of ['containers', 'initContainers']) {
      list(spec[key]).forEach((c, i) => {
        const r = rec(c);
        this.value([...at, key, i, 'name'], r?.name, 'dns1123Label');
        list(r?.ports).forEach((p, j) => {
          const name = rec(p)?.name;
          if (name !== '') this.value([...at, key, i, 'ports', j, 'name'], name, 'portName');
        });
      });
    }
  }

  pod(at: readonly Seg[], o: KubeObject): void {
    this.metadata(at, o, 'dns1123Subdomain');
    this.podSpec([...at, 'spec'], o.spec);
    for (const key of ['containerStatuses', 'initContainerStatuses']) {
      list(rec(o.status)?.[key]).forEach((c, i) => this.value([...at, 'status', key, i, 'name'], rec(c)?.name, 'dns1123Label'));
    }
  }

  service(at: readonly Seg[], o: KubeObject): void {
    this.metadata(at, o, 'dns1035Label');
    const spec = rec(o.spec);
    this.labels([...at, 'spec', 'selector'], spec?.selector);
    list(spec?.ports).forEach((p, i) => {
      const r = rec(p);
      if (r?.name !== '') this.value([...at, 'spec', 'ports', i, 'name'], r?.name, 'dns1123Label');
      this.portNumberOrName([...at, 'spec', 'ports', i, 'targetPort'], r?.targetPort);
    });
  }

  endpointSlice(at: readonly Seg[], o: KubeObject): void {
    this.metadata(at, o, 'dns1123Subdomain');
    list(o.endpoints).forEach((e, i) => {
      const r = rec(e);
      this.value([...at, 'endpoints', i, 'nodeName'], r?.nodeName, 'dns1123Subdomain');
      const ref = rec(r?.targetRef);
      this.value([...at, 'endpoints', i, 'targetRef', 'name'], ref?.name, 'dns1123Subdomain');
      this.value([...at, 'endpoints', i, 'targetRef', 'namespace'], ref?.namespace, 'dns1123Label');
    });
    list(o.ports).forEach((p, i) => {
      const name = rec(p)?.name;
      if (name !== '') this.value([...at, 'ports', i, 'name'], name, 'dns1123Label');
    });
  }

  networkPolicy(at: readonly Seg[], o: KubeObject): void {
    this.metadata(at, o, 'dns1123Subdomain');
    const spec = rec(o.spec);
    this.selector([...at, 'spec', 'podSelector'], spec?.podSelector);
    for (const [dir, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
      list(spec?.[dir]).forEach((rule, i) => {
        const r = rec(rule);
        list(r?.[peers]).forEach((peer, j) => {
          const p = rec(peer);
          this.selector([...at, 'spec', dir, i, peers, j, 'podSelector'], p?.podSelector);
          this.selector([...at, 'spec', dir, i, peers, j, 'namespaceSelector'], p?.namespaceSelector);
        });
        list(r?.ports).forEach((port, j) => this.portNumberOrName([...at, 'spec', dir, i, 'ports', j, 'port'], rec(port)?.port));
      });
    }
  }

  /** DaemonSet, Deployment: the selector and the pod template. */
  workload(at: readonly Seg[], o: KubeObject): void {
    this.metadata(at, o, 'dns1123Subdomain');
    const spec = rec(o.spec);
    this.selector([...at, 'spec', 'selector'], spec?.selector);
    const template = rec(spec?.template);
    this.labels([...at, 'spec', 'template', 'metadata', 'labels'], rec(template?.metadata)?.labels);
    this.podSpec([...at, 'spec', 'template', 'spec'], template?.spec);
  }
}

/**
 * The identifiers of a snapshot that break Kubernetes' rules, up to `limit`, and how many there
 * are in all. Objects are judged by where they are (`cluster.services` holds Services), not by
 * their `kind`, because that is how analysis reads them.
 */
export function identifierProblems(s: Snapshot, limit = 5): { problems: IdentifierProblem[]; count: number } {
  const w = new Walk(limit);
  const c = s.cluster;
  w.value(['target', 'namespace'], s.target.namespace, 'dns1123Label');
  w.value(['target', 'service'], s.target.service, 'dns1035Label');
  c.services.forEach((o, i) => w.service(['cluster', 'services', i], o));
  c.endpointSlices.forEach((o, i) => w.endpointSlice(['cluster', 'endpointSlices', i], o));
  c.pods.forEach((o, i) => w.pod(['cluster', 'pods', i], o));
  c.nodes.forEach((o, i) => w.metadata(['cluster', 'nodes', i], o, 'dns1123Subdomain'));
  c.networkPolicies.forEach((o, i) => w.networkPolicy(['cluster', 'networkPolicies', i], o));
  (c.namespaces ?? []).forEach((o, i) => w.metadata(['cluster', 'namespaces', i], o, 'dns1123Label'));
  const kp = c.kubeProxy;
  if (kp.configMap !== null) w.metadata(['cluster', 'kubeProxy', 'configMap'], kp.configMap, 'dns1123Subdomain');
  if (kp.daemonSet !== null) w.workload(['cluster', 'kubeProxy', 'daemonSet'], kp.daemonSet);
  kp.pods.forEach((o, i) => w.pod(['cluster', 'kubeProxy', 'pods', i], o));
  const dns = c.coreDns;
  if (dns.deployment !== null) w.workload(['cluster', 'coreDns', 'deployment'], dns.deployment);
  if (dns.service !== null) w.service(['cluster', 'coreDns', 'service'], dns.service);
  dns.endpointSlices.forEach((o, i) => w.endpointSlice(['cluster', 'coreDns', 'endpointSlices', i], o));
  const pr = c.proxyReplacement;
  if (pr !== undefined) {
    if (pr.ciliumConfig !== null) w.metadata(['cluster', 'proxyReplacement', 'ciliumConfig'], pr.ciliumConfig, 'dns1123Subdomain');
    pr.agentPods.forEach((o, i) => w.pod(['cluster', 'proxyReplacement', 'agentPods', i], o));
    // The agent pod and container are named in `kubectl exec` commands a person copies.
    (pr.agentOutputs ?? []).forEach((o, i) => {
      w.value(['cluster', 'proxyReplacement', 'agentOutputs', i, 'node'], o.node, 'nodeStateName');
      w.value(['cluster', 'proxyReplacement', 'agentOutputs', i, 'pod'], o.pod, 'dns1123Subdomain');
      w.value(['cluster', 'proxyReplacement', 'agentOutputs', i, 'container'], o.container, 'dns1123Label');
    });
  }
  s.nodes.forEach((n, i) => w.value(['nodes', i, 'name'], n.name, 'nodeStateName'));
  (s.probes ?? []).forEach((p, i) => {
    if (p.from !== HERE) w.value(['probes', i, 'from'], p.from, 'nodeStateName');
    if (p.node !== '') w.value(['probes', i, 'node'], p.node, 'nodeStateName');
    w.value(['probes', i, 'pod', 'namespace'], p.pod?.namespace, 'dns1123Label');
    w.value(['probes', i, 'pod', 'name'], p.pod?.name, 'dns1123Subdomain');
  });
  return { problems: w.problems, count: w.count };
}

/** One line per problem: `cluster.pods[3].metadata.labels["app"]: "…" is not a label value: …`. */
export function describeProblem(p: IdentifierProblem): string {
  return `${p.path}: ${p.shown} is not ${RULES[p.rule].what}`;
}

/** Throws SnapshotError listing the first identifiers in `s` that break Kubernetes' naming rules. */
export function refuseBadIdentifiers(s: Snapshot, file: string): void {
  const { problems, count } = identifierProblems(s);
  if (count === 0) return;
  const more = count > problems.length ? `\n  … and ${count - problems.length} more` : '';
  const what = count === 1 ? 'an identifier breaks' : `${count} identifiers break`;
  throw new SnapshotError(file, `refused: ${what} Kubernetes' naming rules (the API server refuses such values; was the file edited?):\n  ${problems.map(describeProblem).join('\n  ')}${more}`);
}
