/**
 * The session takes the whole terminal like less or k9s: the alternate screen keeps the person's
 * scrollback untouched, and leaving it restores what was there.
 */
export const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
export const LEAVE_ALT_SCREEN = '\x1b[?1049l';
