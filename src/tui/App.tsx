import { Box, useApp, useStdout } from 'ink';
import { Text } from './components/Text.js';
import { useEffect, useState } from 'react';
import Steps from './components/Steps.js';
import TextField from './components/TextField.js';
import { useStore, useTerminalSize } from './hooks.js';
import { runCommand } from './commands.js';
import { KeyInput, useKeys } from './input/router.js';
import { keyBar, type Screen } from './keys.js';
import type { ProgressStore } from './state/progress-store.js';
import { defaultSaveBase } from './state/save.js';
import type { Session, WhatIf } from './state/session.js';
import { DEFAULT_SORT, type ServiceRow } from './state/services.js';
import { copyCommand } from './terminal/clipboard.js';
import DiagnosisView from './views/DiagnosisView.js';
import HelpView from './views/HelpView.js';
import NamespacePicker from './views/NamespacePicker.js';
import PathView from './views/PathView.js';
import SaveView from './views/SaveView.js';
import ServiceList, { type ListPlace } from './views/ServiceList.js';
import WhatIfView from './views/WhatIfView.js';

/** A Service to open at once (np-doctor tui svc/NAME); namespace null: the one shown. */
export interface OpenService {
  service: string;
  namespace: string | null;
}

export interface Props {
  readonly session: Session;
  readonly open?: OpenService;
  /** The question to open it with (--node, --from… given on the command line). */
  readonly whatIf?: WhatIf;
  /** A second Ctrl-C while quitting: leave without waiting for the clean-up. */
  readonly onForceQuit?: () => void;
}

/** Below this the screens cannot show a path or a finding legibly. */
const MIN = { columns: 60, rows: 16 };

/** Screens where typing goes into a field, so letters are not commands. */
const TYPING: ReadonlySet<Screen> = new Set(['what-if', 'save']);

/** The interactive session, reading its keys one at a time (input/router.tsx). */
export default function App(props: Props) {
  return <KeyInput><Screens {...props} /></KeyInput>;
}

/** A screen stack over one Session, with the keys that work everywhere. */
function Screens({ session, open, whatIf, onForceQuit }: Props) {
  const state = useStore(session, session.getState);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [stack, setStack] = useState<Screen[]>(['list']);
  const [help, setHelp] = useState(false);
  const [place, setPlace] = useState<ListPlace>({ cursor: 0, filter: '', sort: DEFAULT_SORT });
  /** The `:` command line being typed; null when closed. */
  const [command, setCommand] = useState<string | null>(null);
  const [capturing, setCapturing] = useState(false);
  const [quitting, setQuitting] = useState(false);
  const [opened, setOpened] = useState(open === undefined);
  const screen = stack[stack.length - 1]!;

  const go = (s: Screen) => setStack((st) => [...st, s]);
  const back = () => {
    const next = stack.length > 1 ? stack.slice(0, -1) : stack;
    if (!next.includes('diagnosis')) session.close();
    setStack(next);
  };
  const quit = () => {
    // A second Ctrl-C while a gathering cleans up leaves at once, as it does outside the session.
    if (quitting) return onForceQuit?.();
    setQuitting(true);
    // A gathering in flight is stopped first so its debug pods are deleted before we leave.
    void session.stop().then(() => exit());
  };
  const openRow = (row: ServiceRow, w: WhatIf = {}) => {
    void session.open(row, w);
    setStack(['list', 'diagnosis']);
  };

  useEffect(() => {
    if (opened || state.phase !== 'ready') return;
    setOpened(true);
    const ns = open?.namespace ?? state.namespace;
    const row = state.services.find((r) => r.name === open?.service && (ns === null || r.namespace === ns));
    if (row === undefined) session.notify({ text: `no Service ${open?.service} with a nodePort${ns === null ? '' : ` in namespace ${ns}`}`, tone: 'error' });
    else openRow(row, whatIf);
  });

  // The open Service is gone (gathered again without it): back to the list, saying so.
  const lost = (screen === 'diagnosis' || screen === 'path' || screen === 'what-if') && state.diagnosis === null && state.phase === 'ready';
  useEffect(() => {
    if (!lost) return;
    setStack(['list']);
    session.notify({ text: 'the Service is not in the new snapshot', tone: 'error' });
  });

  useKeys((input, key) => {
    if (key.ctrl && input === 'c') return quit();
    if (quitting) return;
    if (command !== null) {
      if (key.escape) setCommand(null);
      else if (key.return) {
        setCommand(null);
        runCommand(command, { session, state, list: () => { setStack(['list']); session.close(); }, quit });
      }
      return;
    }
    if (help) {
      if (input === '?' || key.escape || input === 'q') setHelp(false);
      return;
    }
    if (key.escape) return back();
    if (capturing || TYPING.has(screen)) return;
    if (input === 'q') return quit();
    if (input === '?') return setHelp(true);
    if (input === ':') return setCommand('');
    if (input === 'r') return void session.regather();
    if (state.phase !== 'ready') return;
    if (input === 's') return go('save');
    if (input === 'n' && screen === 'list') return go('namespaces');
    if ((screen === 'diagnosis' || screen === 'path') && state.diagnosis?.report) {
      if (input === 'p' && screen === 'diagnosis') return go('path');
      if (input === 'P' && screen === 'diagnosis') return void session.probe();
      if (input === 'w') return go('what-if');
    }
  });

  // Header, a blank line, the notice and the key bar; one line spare so Ink never redraws the whole screen.
  const bodyHeight = rows - 5;
  const d = state.diagnosis;
  // The help hides the screens rather than replacing them, and a screen stays mounted while another
  // is on top of it, so coming back finds it where it was (node, branch, cursor, finding).
  const render = (s: Screen, on: boolean) => {
    const active = on && !help && !quitting && command === null;
    switch (s) {
      case 'namespaces':
        return (
          <NamespacePicker namespaces={state.namespaces} current={state.namespace} held={state.snapshot?.target.namespace ?? null} live={session.live}
            height={bodyHeight} active={active} onPick={(ns) => { back(); void session.setNamespace(ns); }} />
        );
      case 'save':
        return state.snapshot ? (
          <SaveView initial={defaultSaveBase(state.snapshot, d?.report ?? null)} hasReport={!!d?.report} cwd={session.cwd} active={active}
            onSave={async (base, overwrite) => {
              const r = await session.save(base, overwrite);
              // The view stays open to ask about existing files; otherwise saved or failed (the notice says which).
              if (r?.kind !== 'exists') back();
              return r;
            }} />
        ) : null;
      case 'what-if':
        return d ? <WhatIfView row={d.row} nodes={session.nodeNames()} current={d.whatIf} active={active} onSubmit={(w) => { back(); void session.open(d.row, w); }} /> : null;
      case 'path':
        if (!d) return null;
        return d.report
          ? <PathView key={d.seq} report={d.report} model={session.model()} height={bodyHeight} active={active} />
          : <Text dimColor>{d.error ? `cannot replay that: ${d.error}` : 'replaying…'}</Text>;
      case 'diagnosis':
        return d ? (
          <DiagnosisView key={d.seq} diagnosis={d} width={columns} height={bodyHeight} active={active}
            onCopy={(cmd) => {
              const sequence = copyCommand(cmd);
              if (sequence === null) session.notify({ text: 'not copied: the command holds a control character (shown escaped); check it and type it yourself', tone: 'error' });
              else {
                stdout.write(sequence);
                session.notify({ text: `copied: ${cmd}`, tone: 'info' });
              }
            }} />
        ) : null;
      case 'list':
        return <ServiceList state={state} place={place} onMove={setPlace} height={bodyHeight} active={active} onOpen={(row) => openRow(row)} onCapture={setCapturing} />;
    }
  };
  let body;
  if (quitting) body = <Text>{state.phase === 'gathering' ? 'stopping: deleting debug pods… (Ctrl-C again leaves at once)' : 'bye'}</Text>;
  else if (state.phase === 'gathering' && state.progress !== null) body = <Gathering progress={state.progress} />;
  else if (state.phase === 'empty') body = <Text dimColor>Nothing gathered yet. r: gather</Text>;
  else {
    body = stack.map((s, i) => (
      <Box key={s} display={i === stack.length - 1 && !help ? 'flex' : 'none'} flexDirection="column">{render(s, i === stack.length - 1)}</Box>
    ));
  }

  if (columns < MIN.columns || rows < MIN.rows) {
    return <Text>{`np-doctor needs at least ${MIN.columns}×${MIN.rows}; this terminal is ${columns}×${rows}. q quits.`}</Text>;
  }
  const source = state.file ?? (session.live ? 'live' : 'snapshot');
  const taken = state.snapshot ? ` · ${state.snapshot.source.context ?? 'no context'} · ${state.snapshot.createdAt.replace('T', ' ').slice(0, 19)}` : '';
  return (
    <Box flexDirection="column" width={columns} height={rows - 1}>
      <Text wrap="truncate-end">
        <Text bold color="cyan">np-doctor</Text>
        <Text>{`  ${state.namespace === null ? 'all namespaces' : `ns ${state.namespace}`}`}</Text>
        <Text dimColor>{`  ·  ${source}${taken}`}</Text>
      </Text>
      <Box height={bodyHeight} flexDirection="column" marginTop={1} overflow="hidden">
        {help ? <HelpView screen={screen} /> : null}
        {body}
      </Box>
      <Text wrap="truncate-end" color={state.notice?.tone === 'error' ? 'red' : 'green'}>{state.notice?.text ?? ' '}</Text>
      {command !== null
        ? <Text wrap="truncate-end">{':'}<TextField value={command} onChange={setCommand} focused placeholder="ns NAME · ns (all) · svc · q      Enter: run  Esc: cancel" /></Text>
        : <Text wrap="truncate-end" dimColor>{help ? '? or Esc: close' : keyBar(screen)}</Text>}
    </Box>
  );
}

function Gathering({ progress }: { readonly progress: ProgressStore }) {
  const view = useStore(progress, progress.getSnapshot);
  return (
    <Box flexDirection="column">
      <Text bold>Gathering</Text>
      <Steps steps={view.steps} />
    </Box>
  );
}
