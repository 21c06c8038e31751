/**
 * mprotect() lifted from its syscall probes. A whole vmtest recording of the devdax
 * workload on the stock 6.1 kernel, device-dax with 1 GiB alignment
 * (test/fixtures/record/k61-devdax-1G-mprotect.trace.txt), by the recorder that probes
 * __x64_sys_mprotect (start, len, prot; 0 or -errno at return) and change_protection()
 * (start, end):
 *
 *   :210        the static binary's RELRO mprotect(): no DAX entry in the range, no Op
 *   :442-444    mprotect_readonly of the writable 1 GiB PUD mapping
 *   :457-459    mprotect_writable of the read-only PUD the read fault at :449 mapped
 *   :471-472    mprotect_part: device-dax's ->may_split() refuses 4 KiB (-EINVAL)
 *   :476-477    mprotect_part_undo: PROT_READ|PROT_WRITE the VMA already has, so
 *               mprotect_fixup() calls no change_protection() and the PUD the write
 *               fault at :464 mapped stays
 *   :509        mremap_move
 *
 * The console of the run shows three "bad pud" lines (…8e7, …0a5, …8e7): 6.1's
 * change_pud_range() and get_old_pud() take the leaf PUD for a bad table and clear it.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Op } from '../../src/events/op.ts';
import { checkDoc } from '../check/run.ts';
import { liftText } from './fixtures.ts';

const NAME = 'k61-devdax-1G-mprotect';
const fixture = new URL(`../fixtures/record/${NAME}.trace.txt`, import.meta.url).pathname;
const text = readFileSync(fixture, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'lift-mprotect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const START = 0x7fec00000000;
const G = 2 ** 30;

describe('6.1 devdax-1G: mprotect() from the syscall and change_protection() probes', () => {
  it('lifts the two calls that changed the VMA to mprotect Ops over change_protection()\'s range; the RELRO, refused and unchanged calls to none', async () => {
    const t = await liftText(text, NAME);
    const prot = t.ops.filter((o): o is Extract<Op, { type: 'mprotect' }> => o.type === 'mprotect');
    expect(prot.map((o) => [o.line, o.mm, o.start, o.end, o.write])).toEqual([
      [443, 'mm:390', START, START + G, false],
      [458, 'mm:390', START, START + G, true],
    ]);
  });

  it('checks with every observation matched and a pud-clear-bad finding for each of the console\'s three bad puds', async () => {
    const { code, doc } = await checkDoc({ trace: fixture });
    expect(doc.mismatches).toEqual([]);
    expect([code, doc.observations, doc.matched, doc.unknown, doc.untraced.length]).toEqual([0, 1286, 1286, 0, 0]);
    expect(doc.findings.map((f) => [f.code, f.severity, f.pfn, f.function, f.line])).toEqual([
      ['pud-clear-bad', 'warn', '0x140000', 'pud_clear_bad', 443],
      ['pud-clear-bad', 'warn', '0x140000', 'pud_clear_bad', 458],
      ['pud-clear-bad', 'warn', '0x140000', 'pud_clear_bad', 509],
    ]);
    expect(doc.findings.map((f) => f.message?.split(':')[0])).toEqual(['mprotect() of mm', 'mprotect() of mm', 'mremap() of mm']);
  });

  it('without the mprotect events only the mremap()\'s bad pud is reported', async () => {
    const path = join(dir, 'no-mprotect.trace.txt');
    writeFileSync(path, text.split('\n').filter((l) => !/: (mprotect(_ret)?|change_protection): \(/.test(l)).join('\n'));
    const { code, doc } = await checkDoc({ trace: path });
    expect([code, doc.mismatches.length]).toEqual([0, 0]);
    // :509 of the recording, less the 14 mprotect event lines removed before it
    expect(doc.findings.map((f) => [f.code, f.line])).toEqual([['pud-clear-bad', 495]]);
  });
});
