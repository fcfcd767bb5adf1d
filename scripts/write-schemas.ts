/** Writes the published JSON Schemas from their zod definitions: `npm run schema`. A test checks they are current. */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { reportJsonSchema, scanJsonSchema } from '../src/report/model.js';
import { snapshotJsonSchema } from '../src/snapshot/schema.js';
import { snapshotRecordJsonSchema } from '../src/snapshot/stream-format.js';

export const SCHEMAS: Record<string, () => Record<string, unknown>> = {
  'schema/snapshot.v1.json': snapshotJsonSchema,
  'schema/snapshot-record.v2.json': snapshotRecordJsonSchema,
  'schema/report.v1.json': reportJsonSchema,
  'schema/scan.v1.json': scanJsonSchema,
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [file, make] of Object.entries(SCHEMAS)) {
    writeFileSync(file, `${JSON.stringify(make(), null, 2)}\n`);
    console.log(`wrote ${file}`);
  }
}
