/** Hooks the views share. */
import { useStdout } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';

export interface Size {
  columns: number;
  rows: number;
}

/** The terminal's size, updated when it is resized (a test's fake stdout has no rows: 24 then). */
export function useTerminalSize(): Size {
  const { stdout } = useStdout();
  const read = (): Size => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });
  return size;
}

/** Re-renders when a store (the Session, a ProgressStore) changes. */
export function useStore<T>(store: { subscribe: (l: () => void) => () => void }, get: () => T): T {
  return useSyncExternalStore(store.subscribe, get);
}

/** The first visible index of a list of `total` rows shown `height` at a time, keeping `cursor` in view. */
export function windowStart(total: number, cursor: number, height: number): number {
  if (total <= height) return 0;
  return Math.max(0, Math.min(cursor - Math.floor(height / 2), total - height));
}
