/** The report's first finding, which must be `id`: np-doctor sorts root causes first. */
import assert from 'node:assert/strict';
import type { ReportFinding } from '../../../src/report/model.js';
import { findingsText, type Diagnosis } from './np-doctor.js';

export function top(d: Diagnosis, id: string): ReportFinding {
  assert.equal(d.code, 1, `exit code: ${d.stderr}\n${findingsText(d.report)}`);
  const f = d.report.findings[0];
  assert.equal(f?.id, id, `top finding:\n${findingsText(d.report)}`);
  return f;
}
