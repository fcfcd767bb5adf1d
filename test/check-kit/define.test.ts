/**
 * What defineCheck's types hold a check to. The `@ts-expect-error` lines are the test: the type
 * check (npm run typecheck) fails if one of them stops being an error. At run time the check runs
 * on a scenario to show the narrowed context is what the runner hands over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineCheck, placeholdersOf, type FindingInput } from '../../src/check-kit/define.js';
import { checkContext } from '../../src/check-kit/context.js';
import { buildContext } from '../../src/run/question.js';
import { buildSnapshot } from '../support/snapshot-builder.js';

const fix = { summary: 'fix it', commands: [] };
const MESSAGES = { port: 'nodePort {{nodePort}} of {{service}}', plain: 'nothing to fill in' } as const;

const typed = defineCheck({
  id: 'typed', title: 'typed', description: 'a check that shows the types', severity: 'info', stage: 'context',
  requires: ['service', 'nodePort', 'endpointSlices'],
  messages: MESSAGES,
  run(ctx) {
    // Narrowed by requires: no null Service, a number nodePort.
    const nodePort: number = ctx.port.nodePort;
    const service: string = ctx.service.name;
    ctx.endpointSlices.used(ctx.service, ctx.port);
    // @ts-expect-error -- 'pods' is not required, so the context has no pods.
    void ctx.pods;
    const findings: FindingInput<typeof MESSAGES>[] = [
      { messageId: 'port', data: { nodePort, service }, evidence: [], remediation: fix },
      { messageId: 'plain', evidence: [], remediation: fix },
      // @ts-expect-error -- not one of the check's messages.
      { messageId: 'other', evidence: [], remediation: fix },
      // @ts-expect-error -- the message shows {{service}} too.
      { messageId: 'port', data: { nodePort }, evidence: [], remediation: fix },
    ];
    return findings.slice(0, 2);
  },
});

defineCheck({
  id: 'untyped-context', title: 't', description: 'd', severity: 'info', stage: 'context', requires: [], messages: { m: 'm' },
  run(ctx) {
    // @ts-expect-error -- without 'service' the Service may be missing.
    void ctx.service.name;
    return [];
  },
});

test('the narrowed context is the runtime one, and placeholders are found as formatMessage fills them', async () => {
  const analysis = buildContext(buildSnapshot(), { namespace: 'shop', service: 'frontend' });
  const found = await typed.run(checkContext(analysis));
  assert.deepEqual(found.map((f) => [f.messageId, f.data]), [['port', { nodePort: 30080, service: 'frontend' }], ['plain', undefined]]);
  assert.deepEqual(placeholdersOf('{{a}} and {{ b }} and {{a}}'), ['a', 'b']);
});
