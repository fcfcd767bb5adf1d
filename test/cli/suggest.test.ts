/** "Did you mean": edit distance, the closest name within two edits, or a name the word begins. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { didYouMean, nearest } from '../../src/cli/suggest.js';
import { editDistance, MAX_COMPARED } from '../../src/text/edit-distance.js';

test('edit distance counts insertions, deletions and substitutions', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('node', 'node'), 0);
  assert.equal(editDistance('nod', 'node'), 1);
  assert.equal(editDistance('ndoe', 'node'), 2, 'a swap is two edits');
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
});

test('edit distance compares at most MAX_COMPARED characters of each side, so a huge word costs no more', () => {
  const huge = 'a'.repeat(1_000_000);
  assert.equal(editDistance(huge, ''), MAX_COMPARED);
  assert.equal(editDistance(huge, `${'a'.repeat(MAX_COMPARED)}b`), 0, 'the tails beyond the bound are not compared');
});

test('the closest known name within two edits, else one the word begins, else none', () => {
  const flags = ['--node', '--node-ip', '--all-nodes', '--namespace', '--fail-on', '--family'];
  const closest = (word: string, known: readonly string[]) => nearest(word, known)[0];
  assert.equal(closest('--nod', flags), '--node');
  assert.equal(closest('--node-i', flags), '--node-ip');
  assert.equal(closest('--fial-on', flags), '--fail-on');
  assert.equal(closest('--names', flags), '--namespace', 'a beginning');
  assert.equal(closest('--frobnicate', flags), undefined);
  assert.equal(closest('', flags), undefined);
  assert.equal(closest('x'.repeat(100), flags), undefined, 'a long word is no typo');
  assert.equal(didYouMean('scna', ['scan', 'snapshot']), '; did you mean scan?');
  assert.equal(didYouMean('zzz', ['scan']), '');
  const ids = ['kube-proxy-missing', 'kube-proxy-mode-conflict', 'node-not-ready'];
  assert.deepEqual(nearest('kube-proxy-m', ids, 3), ['kube-proxy-missing', 'kube-proxy-mode-conflict'], 'every name the word begins, up to the number asked');
  assert.deepEqual(nearest('node-not-raedy', ids, 3), ['node-not-ready']);
  assert.equal(didYouMean('kube-proxy-m', ids, 2), '; did you mean kube-proxy-missing or kube-proxy-mode-conflict?');
});
