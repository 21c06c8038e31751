/**
 * The trace replay's hot path (the fold of a page_ref event from its fields, the
 * chunk's page marks in Txn) gives what the RefEvent path gives, event by event:
 * random page_ref traces (untraced changes, ret mismatches, underflows, head flags,
 * pfns outside the header's range) replayed in chunks of 4096 equal the same trace
 * replayed through RefEvents (recordEvents turns the field fold off) with a commit
 * after every input; and every state a replay published stays what it was when the
 * replay published it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { replayTraceFile } from '../../src/engine/replay-trace.ts';
import type { SimState } from '../../src/state/sim-state.ts';
import { allFrozen, snapshot } from '../fixtures/streams.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-trace-fold-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OPS = ['set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze'] as const;
const WITH_RET = new Set(['mod_and_test', 'mod_and_return', 'mod_unless', 'freeze']);
// order-0 pages, a PMD-aligned pfn and its neighbours (head flags make and split folios), a pfn outside the pmem range (its section)
const PFNS = [0x40000, 0x40001, 0x40200, 0x40201, 0x40202, 0x40400, 0x90000];

const arbEvent = fc.record({
  op: fc.constantFrom(...OPS),
  pfn: fc.constantFrom(...PFNS),
  count: fc.integer({ min: -1, max: 4 }),
  val: fc.integer({ min: -2, max: 3 }),
  ret: fc.integer({ min: 0, max: 3 }),
  head: fc.boolean(),
});
type Ev = typeof arbEvent extends fc.Arbitrary<infer T> ? T : never;

/** A trace of these events; `consistent` makes each count follow from the one before (few untraced changes). */
function traceText(events: readonly Ev[], consistent: boolean): string {
  const counts = new Map<number, number>();
  const lines = ['KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w', '# pmem: 40000000-4fffffff : Persistent Memory (legacy);', '# tracer: nop', '#'];
  events.forEach((e, i) => {
    let count = e.count;
    if (consistent) {
      count = Math.max(0, (counts.get(e.pfn) ?? 0) + (e.op === 'set' ? 0 : e.val));
      counts.set(e.pfn, count);
    }
    const ret = WITH_RET.has(e.op) ? ` ret=${e.ret}` : '';
    const ts = (1 + i / 1e6).toFixed(6);
    lines.push(`         daxwork-1     [000] .....     ${ts}: page_ref_${e.op}: pfn=0x${e.pfn.toString(16)} flags=${e.head ? 'reserved|head' : 'reserved'} count=${count} mapcount=-1 mapping=00000000deadbeef mt=1 val=${e.val}${ret}`);
  });
  lines.push('KTRACE-END');
  return `${lines.join('\n')}\n`;
}

let n = 0;
function file(text: string): string {
  const path = join(dir, `t${n++}.txt`);
  writeFileSync(path, text);
  return path;
}

describe('trace replay: the fold from fields', () => {
  test.prop([fc.array(arbEvent, { maxLength: 60 }), fc.boolean()], { numRuns: 120 })('equals the RefEvent fold with a commit after every input', async (events, consistent) => {
    const path = file(traceText(events, consistent));
    const fast = await replayTraceFile(path, { checkpointEvery: 0 });
    const slow = await replayTraceFile(path, { checkpointEvery: 0, recordEvents: true, chunkSize: 1 });
    expect(snapshot(fast.state)).toEqual(snapshot(slow.state));
    expect(fast.findings).toEqual(slow.findings);
    expect(fast.assumptions).toEqual(slow.assumptions);
    expect([fast.inputs, fast.refEvents]).toEqual([slow.inputs, slow.refEvents]);
  });

  test.prop([fc.array(arbEvent, { minLength: 1, maxLength: 30 })], { numRuns: 40 })('never changes a state it published', async (events) => {
    const path = file(traceText(events, false));
    // a checkpoint after every input: each is a published state, written over by the inputs after it
    const full = await replayTraceFile(path, { checkpointEvery: 1, chunkSize: 3, maxCheckpoints: 1000 });
    const states: SimState[] = full.checkpoints.map((c) => c.state);
    expect(states).toHaveLength(events.length + 1);
    for (const [i, cp] of full.checkpoints.entries()) {
      // the state after the first i inputs, replayed on its own (nothing after it ran)
      const alone = await replayTraceFile(path, { checkpointEvery: 0, stopAt: i });
      expect(snapshot(cp.state)).toEqual(snapshot(i === 0 ? full.checkpoints[0]!.state : alone.state));
      expect(allFrozen(cp.state)).toBe(true);
    }
  });
});
