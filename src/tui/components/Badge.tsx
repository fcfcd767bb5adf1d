import { Text } from './Text.js';
import { HEALTH_MARK, type Health } from '../../report/health.js';

const COLOR: Record<Health, string> = { error: 'red', warning: 'yellow', ok: 'green', undecided: 'magenta' };

/** ✗ ! ✓ ? in the health's colour; … while the first pass has not reached the Service. */
export default function Badge({ health }: { readonly health: Health | undefined }) {
  if (health === undefined) return <Text dimColor>…</Text>;
  return <Text color={COLOR[health]} bold>{HEALTH_MARK[health]}</Text>;
}
