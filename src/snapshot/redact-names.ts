/**
 * Stable pseudonyms for names: the same original always gets the same pseudonym (`svc-2`), numbered
 * in sorted order of the originals, so the same cluster state gives the same redacted document and
 * nothing in it can be hashed back to a name.
 */

/** Namespaces every cluster has: keeping them (and their objects) readable reveals nothing. */
export const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'default']);

export class Pseudonyms {
  private readonly map = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  /** Assigns pseudonyms to names in sorted order; a name already mapped keeps its first pseudonym. */
  add(prefix: string, names: Iterable<string>): void {
    for (const name of [...new Set(names)].sort()) this.getOrAdd(prefix, name);
  }

  get(name: string): string | undefined {
    return this.map.get(name);
  }

  /** For names met only while rewriting (label values in selectors): numbered in document order. */
  getOrAdd(prefix: string, name: string): string {
    if (name === '' || SYSTEM_NAMESPACES.has(name)) return name;
    let p = this.map.get(name);
    if (p === undefined) {
      const n = (this.counters.get(prefix) ?? 0) + 1;
      this.counters.set(prefix, n);
      p = `${prefix}-${n}`;
      this.map.set(name, p);
    }
    return p;
  }

  /** Replaces every whole-word occurrence of a name known now (longest first, so `web-1` beats `web`). */
  replacer(): (text: string) => string {
    if (this.map.size === 0) return (t) => t;
    const names = [...this.map.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    const re = new RegExp(`(?<![A-Za-z0-9])(?:${names.join('|')})(?![A-Za-z0-9])`, 'g');
    return (text) => text.replace(re, (m) => this.map.get(m) ?? m);
  }
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A kube-proxy service port name at the start of a rule comment: `shop/frontend:http …`, `shop/frontend`. */
const COMMENT_NAME = /--comment "?([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\/([a-z](?:[-a-z0-9]*[a-z0-9])?)(?=[:"\s]|$)/gm;
/** In nft JSON: element comments (`"comment": "shop/frontend:http"`) and chain names (`service-HASH-shop/frontend/tcp/http`). */
const NFT_NAME = /(?:"comment":\s*"|-[A-Z2-7]{8}-)([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\/([a-z](?:[-a-z0-9]*[a-z0-9])?)(?=[:/"])/g;

/**
 * The namespaces and Services kube-proxy names in a node's rules. Rules cover every Service of the
 * cluster, while a snapshot holds the objects of a few, so names found only here must be renamed
 * too. Services in the system namespaces keep their names, like their objects do.
 */
export function serviceNamesInRules(outputs: Iterable<{ id: string; stdout: string }>): { namespaces: string[]; services: string[] } {
  const namespaces = new Set<string>();
  const services = new Set<string>();
  for (const { id, stdout } of outputs) {
    const re = /^ip6?tables-.*save$/.test(id) ? COMMENT_NAME : id === 'nft-ruleset' ? NFT_NAME : null;
    if (re === null) continue;
    for (const m of stdout.matchAll(re)) {
      if (SYSTEM_NAMESPACES.has(m[1]!)) continue;
      namespaces.add(m[1]!);
      services.add(m[2]!);
    }
  }
  return { namespaces: [...namespaces], services: [...services] };
}
