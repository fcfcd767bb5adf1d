/**
 * The words --fail-on takes, in a module of their own so shell completion lists them without
 * loading the checks (-o's are src/report/formats.ts's OUTPUT_FORMATS).
 */
import { SEVERITIES } from '../check-kit/model.js';
import type { FailThreshold } from '../report/junit.js';

/** The threshold JUnit's failures use too: one type, named for the flag here. */
export type FailOn = FailThreshold;
export const FAIL_ON_LEVELS: readonly FailOn[] = [...SEVERITIES, 'none'];
