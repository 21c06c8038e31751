/**
 * A hole punch whose interruptible wait is cut short and restarted (6.1 CONFIG_DEBUG_PAGE_REF
 * vmtest, workload fsdax-race, phase punch_during_dio_pte; excerpts of
 * ext4-fsdax-race.trace.txt:476-510 and xfs-fsdax-race.trace.txt:487-520 under the full
 * header). The punch's first break finds the O_DIRECT page busy (refcount 2) and sleeps
 * in ___wait_var_event(); 16 ms (ext4) / 52 ms (xfs) later the same task enters the break
 * function again with the page still at 2: the first wait returned -ERESTARTSYS. Only the
 * second waiter is left when the O_DIRECT completion misses its wakeup, so one finding.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liftText } from './fixtures.ts';
import { checkDoc } from '../check/run.ts';

const DIR = new URL('../fixtures/lift/', import.meta.url);

const CASES = [
  // excerpt line 211 = trace :495 (busy, ref=2), 216 = :500 (the restarted punch, which
  // the alarm later lets rescan and delete inside ext4_break_layouts()'s own loop)
  { name: 'k61dbg-ext4-race-restart.trace.txt', breaks: [
    { type: 'fs.break_layout', line: 211, seq: 5 },
    { type: 'fs.truncate', line: 216, seq: 6, restarts: 5 },
  ] },
  // 208 = :503 (busy), 211 = :506 (re-entered, page still at 2: interrupted), 216 = :514
  // (xfs_break_layouts() calls xfs_break_dax_layouts() again after the alarm, refcount 1:
  // nothing busy), then 222 the punch's deletion (its last scan found nothing: no restarts)
  { name: 'k61dbg-xfs-race-restart.trace.txt', breaks: [
    { type: 'fs.break_layout', line: 208, seq: 5 },
    { type: 'fs.break_layout', line: 211, seq: 6, restarts: 5 },
    { type: 'fs.break_layout', line: 216, seq: 8, restarts: 6 },
    { type: 'fs.truncate', line: 222, seq: 9 },
  ] },
] as const;

describe.each(CASES)('$name', ({ name, breaks }) => {
  it('lifts the re-entered break with restarts naming the earlier Op', async () => {
    const t = await liftText(readFileSync(new URL(name, DIR), 'utf8'), name);
    const got = t.ops.filter((o) => o.type === 'fs.break_layout' || o.type === 'fs.truncate');
    expect(got.map((o) => ({ type: o.type, line: o.line, seq: o.seq, ...(o.restarts !== undefined ? { restarts: o.restarts } : {}) }))).toEqual(breaks);
  });

  it('reports the missed wakeup once, for the waiter that was still asleep', async () => {
    const { code, doc } = await checkDoc({ trace: new URL(name, DIR).pathname });
    expect(code).toBe(1);
    expect(doc.mismatches).toEqual([]);
    expect(doc.findings.map((f) => f.code)).toEqual(['missed-wakeup']);
  });
});
