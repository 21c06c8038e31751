/**
 * `dax-refsim test`: a scenario's expect lines as a test on their own, and `--as` to
 * see the same lines on another kernel.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './in-process.ts';

const S2 = 'replays/s2-gup-get-across-truncate/scenario.dax';

describe('test', () => {
  it('every expect line of a corpus scenario holds: one line each, a count, exit 0', async () => {
    const r = await cli('test', S2, 'replays/s9-unpin-wakes-truncate');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 6)).toEqual([
      `${S2}:12: expect legacy: 0x48050 refcount 1: holds`,
      `${S2}:13: expect unified: 0x48050 refcount 0: holds`,
      `${S2}:14: expect legacy: no waiter: holds`,
      `${S2}:15: expect unified: no waiter: holds`,
      `${S2}:16: expect unified: 0x48050 mapping none: holds`,
      `${S2}:17: expect diff: no finding: holds`,
    ]);
    expect(lines.at(-1)).toBe('12 of 12 expectation(s) hold');
  });

  it('a minimized scenario is a regression test: it holds on legacy@6.1 and fails --as unified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-test-'));
    try {
      const m = await cli('minimize', 'events/traces/k61-ext4-daxrace.trace.txt', '--keep', 'finding:missed-wakeup');
      const f = join(dir, 'race.dax');
      writeFileSync(f, m.stdout);
      const ok = await cli('test', f);
      expect([ok.status, ok.stdout]).toEqual([0, `${f}:11: expect legacy@6.1: finding missed-wakeup: holds\n1 of 1 expectation(s) hold\n`]);
      const u = await cli('test', f, '--as', 'unified');
      expect([u.status, u.stdout]).toEqual([1, `${f}:11: expect legacy@6.1: finding missed-wakeup (on unified@7.2): FAILS (no findings)\n0 of 1 expectation(s) hold, 1 fail\n`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad input exits 2: a bad line, a file with no expect line, not a scenario', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-test-'));
    try {
      const bad = join(dir, 'bad.dax');
      writeFileSync(bad, 'process A\nA: fualt F\n');
      const b = await cli('test', bad);
      expect(b.status).toBe(2);
      expect(b.stderr).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:4 UNKNOWN_OP unknown operation "fualt"`));
      const none = join(dir, 'none.dax');
      writeFileSync(none, 'process A\npgmap pmem0 fsdax 0x40000 +512M\n');
      const n = await cli('test', none);
      expect([n.status, n.stderr]).toEqual([2, `${none} has no expect line: nothing to test (expect MODEL: …, expect diff: …)\n`]);
      const j = await cli('test', 'replays/s9-unpin-wakes-truncate/ops.jsonl');
      expect([j.status, j.stderr]).toEqual([2, 'replays/s9-unpin-wakes-truncate/ops.jsonl is not a scenario (.dax): test checks the expect lines of one\n']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
