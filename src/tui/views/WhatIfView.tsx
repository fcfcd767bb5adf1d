import { Box } from 'ink';
import { useKeys } from '../input/router.js';
import { Text } from '../components/Text.js';
import { useState, type ReactNode } from 'react';
import type { Protocol } from '../../engine/packet/contract.js';
import TextField from '../components/TextField.js';
import type { WhatIf } from '../state/session.js';
import type { ServiceRow } from '../state/services.js';

export interface Props {
  readonly row: ServiceRow;
  readonly nodes: readonly string[];
  readonly current: WhatIf;
  readonly active: boolean;
  readonly onSubmit: (whatIf: WhatIf) => void;
}

type Field = 'node' | 'nodeIp' | 'from' | 'port' | 'protocol' | 'family' | 'returning';
const FIELDS: readonly Field[] = ['node', 'nodeIp', 'from', 'port', 'protocol', 'family', 'returning'];
const PROTOCOLS: readonly (Protocol | undefined)[] = [undefined, 'tcp', 'udp', 'sctp'];
const FAMILIES: readonly (4 | 6 | undefined)[] = [undefined, 4, 6];

/** Ask again with another ingress node, client, port, protocol, address family or a returning client; the snapshot is replayed, not gathered. */
export default function WhatIfView({ row, nodes, current, active, onSubmit }: Props) {
  const [field, setField] = useState<Field>('node');
  const [node, setNode] = useState<string | undefined>(current.node);
  const [nodeIp, setNodeIp] = useState(current.nodeIp ?? '');
  const [from, setFrom] = useState(current.from ?? '');
  const ports = row.ports.filter((p) => p.nodePort !== null);
  const [port, setPort] = useState<string | undefined>(current.port);
  const [protocol, setProtocol] = useState<Protocol | undefined>(current.protocol);
  const [family, setFamily] = useState<4 | 6 | undefined>(current.family);
  const [returning, setReturning] = useState(current.returningClient === true);

  const answers = (): WhatIf => ({
    ...(node !== undefined ? { node } : {}),
    ...(nodeIp.trim() !== '' ? { nodeIp: nodeIp.trim() } : {}),
    ...(from.trim() !== '' ? { from: from.trim() } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(protocol !== undefined ? { protocol } : {}),
    ...(family !== undefined ? { family } : {}),
    ...(returning ? { returningClient: true } : {}),
  });


  const cycle = <T,>(list: readonly T[], value: T, step: number): T => list[(list.indexOf(value) + step + list.length) % list.length]!;
  useKeys((input, key) => {
    const i = FIELDS.indexOf(field);
    if (key.downArrow || (key.tab && !key.shift)) setField(FIELDS[(i + 1) % FIELDS.length]!);
    else if (key.upArrow || (key.tab && key.shift)) setField(FIELDS[(i - 1 + FIELDS.length) % FIELDS.length]!);
    else if (key.leftArrow || key.rightArrow) {
      const step = key.rightArrow ? 1 : -1;
      if (field === 'node') setNode(cycle([undefined, ...nodes], node, step));
      if (field === 'port') setPort(cycle([undefined, ...ports.map((p) => p.name || String(p.port))], port, step));
      if (field === 'protocol') setProtocol(cycle(PROTOCOLS, protocol, step));
      if (field === 'family') setFamily(cycle(FAMILIES, family, step));
      if (field === 'returning') setReturning(!returning);
    } else if (key.return) {
      onSubmit(answers());
    } else if (input === 'x' && field !== 'nodeIp' && field !== 'from') {
      setNode(undefined); setNodeIp(''); setFrom(''); setPort(undefined); setProtocol(undefined); setFamily(undefined); setReturning(false);
    }
  }, { isActive: active });

  const portLabel = (name: string | undefined) => {
    const p = name === undefined ? ports[0] : ports.find((x) => (x.name || String(x.port)) === name);
    const text = p ? `${p.name ? `${p.name} ` : ''}${p.port}/${p.protocol} → nodePort ${p.nodePort}` : String(name);
    return name === undefined ? `the first port (${text})` : text;
  };
  const line = (f: Field, label: string, value: ReactNode, hint: string) => (
    <Box key={f}>
      <Text color={field === f ? 'cyan' : undefined}>{field === f ? '▶ ' : '  '}</Text>
      <Text bold={field === f}>{label.padEnd(14)}</Text>
      <Box flexGrow={1}>{value}</Box>
      <Text dimColor>{`  ${hint}`}</Text>
    </Box>
  );
  const choice = (text: string, f: Field) => <Text color={field === f ? 'cyan' : undefined}>{`◀ ${text} ▶`}</Text>;

  return (
    <Box flexDirection="column">
      <Text bold>{`What if… ${row.key}`}</Text>
      <Text dimColor>Replays the snapshot already gathered with these answers; nothing is read from the cluster.</Text>
      <Text> </Text>
      {line('node', 'ingress node', choice(node ?? 'every node', 'node'), '← →')}
      {line('nodeIp', 'node IP', <TextField value={nodeIp} onChange={setNodeIp} focused={active && field === 'nodeIp'} placeholder="an address of a node, IPv4 or IPv6; 127.0.0.1 = a process on it" />, 'instead of the node')}
      {line('from', 'client', <TextField value={from} onChange={setFrom} focused={active && field === 'from'} placeholder="203.0.113.7:40000 or [2001:db8::7]:40000 (outside the cluster)" />, 'IP[:PORT]')}
      {line('port', 'port', choice(portLabel(port), 'port'), '← →')}
      {line('protocol', 'protocol', choice(protocol ?? 'the port\'s own', 'protocol'), '← →')}
      {line('family', 'family', choice(family === undefined ? 'each the Service has (or the client\'s)' : `IPv${family}`, 'family'), '← →')}
      {line('returning', 'connected', choice(returning ? 'before (a returning client)' : 'never (its first connection)', 'returning'), 'session affinity')}
      <Text> </Text>
      <Text dimColor>Enter: replay   x: back to the defaults   Esc: cancel</Text>
    </Box>
  );
}
