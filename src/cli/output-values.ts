/**
 * The words -o and --fail-on take, in a module of their own so shell completion lists them
 * without loading the checks.
 */
import { SEVERITIES, type Severity } from '../check-kit/model.js';
import { OUTPUT_FORMATS } from '../report/formats.js';

/** What -o takes for a Report. */
export const OUTPUTS = OUTPUT_FORMATS;

export type FailOn = Severity | 'none';
export const FAIL_ON_LEVELS: readonly FailOn[] = [...SEVERITIES, 'none'];
