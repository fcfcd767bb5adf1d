/** kubectl-style resource arguments for a Service: `svc/NAME`, `service/NAME`, `services/NAME` or `NAME`. */
import { UsageError } from './io.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function serviceArg(arg: string | undefined): string | null {
  if (arg === undefined) return null;
  const slash = arg.indexOf('/');
  const kind = slash < 0 ? undefined : arg.slice(0, slash);
  const name = slash < 0 ? arg : arg.slice(slash + 1);
  if (kind !== undefined && !['svc', 'service', 'services'].includes(kind.toLowerCase())) {
    throw new UsageError(`${arg}: np-doctor looks at Services; write svc/NAME or NAME`);
  }
  // Service names are DNS-1035 labels (RFC 1035): lowercase, at most 63 characters.
  if (!DNS_LABEL.test(name) || name.length > 63) throw new UsageError(`${arg}: "${name}" is not a valid Service name`);
  return name;
}
