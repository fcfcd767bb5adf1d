/** What a plugin (`--plugin ./my-check.js`) imports from `np-doctor`. */
export { defineCheck, formatMessage } from './run/check.js';
export type { Check, CheckContext, CheckDefinition, Evidence, FindingInput, Question, Remediation, Requirement, Severity, Stage } from './run/check.js';
export { sh, renderCommand, quoteWord, CommandError } from './run/command.js';
export type { Command, Interpolation } from './run/command.js';
export type { NodePath, PathBranch, PathStage, ClientResult } from './engine/path.js';
export type { Report } from './report/model.js';
