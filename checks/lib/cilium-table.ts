/** Cilium's service table (nodeState().ciliumServices) as the checks read it: a nodePort's frontends. */
import { hostPort, type CiliumService } from '../../src/check-kit/index.js';

/** The NodePort frontends of `nodePort`/`protocol` (0.0.0.0:NP and one per node address), of the named Service when the agent names one. */
export function nodePortFrontends(services: readonly CiliumService[], nodePort: number, protocol: string, of?: { namespace: string; name: string }): CiliumService[] {
  const proto = protocol.toLowerCase();
  return services.filter((s) => s.type === 'NodePort' && s.frontend.port === nodePort && (s.frontend.protocol === proto || s.frontend.protocol === 'any')
    && (of === undefined || s.service === null || (s.service.namespace === of.namespace && s.service.name === of.name)));
}

export const frontendText = (s: CiliumService): string => `${hostPort(s.frontend.ip, s.frontend.port)}/${s.frontend.protocol.toUpperCase()}`;

/** One line for evidence: each frontend with its backends and their states. */
export function tableExcerpt(frontends: readonly CiliumService[]): string {
  return frontends.map((s) => `${frontendText(s)} => ${s.backends.map((b) => `${hostPort(b.ip, b.port)} (${b.state})`).join(', ') || 'no backends'}`).join('; ').slice(0, 600);
}
