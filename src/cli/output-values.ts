/**
 * The words --fail-on takes, in a module of their own so shell completion lists them without
 * loading the checks (-o's are src/report/formats.ts's OUTPUT_FORMATS).
 */
import { SEVERITIES, type Severity } from '../check-kit/model.js';

export type FailOn = Severity | 'none';
export const FAIL_ON_LEVELS: readonly FailOn[] = [...SEVERITIES, 'none'];
