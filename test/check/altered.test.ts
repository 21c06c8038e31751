/**
 * What check reports when a recording and the model disagree: a probe value changed
 * by hand (a mismatch naming its line, exit 1), a change no recorded event explains
 * (the child's pipe drain removed: `untraced`, the replay continuing from the
 * recorded value), bad input (exit 2), and the same verdict on a trace-cmd rendering
 * as on the raw tracefs text of the same kernel and workload.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isInputError } from '../../src/cli/errors.ts';
import { tracePath, traceText } from '../lift/fixtures.ts';
import { check, checkDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-check-'));

/** Writes `name` with line `line` (1-based) passed through `edit`, or removed when edit returns null. */
function altered(name: string, out: string, edits: Readonly<Record<number, (l: string) => string | null>>): string {
  const lines = traceText(name).split('\n');
  const kept = lines.flatMap((l, i) => {
    const e = edits[i + 1];
    if (e === undefined) return [l];
    const r = e(l);
    return r === null ? [] : [r];
  });
  const path = join(dir, out);
  writeFileSync(path, kept.join('\n'));
  return path;
}

describe('a deliberately altered trace', () => {
  it('one `ref=` value changed: exit 1, and the mismatch names that line', async () => {
    // k72-ext4-daxwork.trace.txt:175 vmf_insert_page_mkwrite … ref=1: the fault's own reference
    const path = altered('k72-ext4-daxwork.trace.txt', 'ref-changed.txt', { 175: (l) => l.replace('write=1 ref=1 ', 'write=1 ref=7 ') });
    const { code, doc } = await checkDoc({ trace: path });
    expect(code).toBe(1);
    expect(doc.mismatches).toEqual([{ line: 175, pfn: '0x48050', field: 'ref', recorded: 7, simulated: 1, function: 'vmf_insert_page_mkwrite' }]);
    const text = await check({ trace: path });
    expect(text.stdout).toContain('mismatch at line 175 (vmf_insert_page_mkwrite): pfn 0x48050 ref recorded 7, simulated 1');
    expect(text.stdout).toContain('175 | daxwork-390');
  });

  it('a page_ref count changed: exit 1 at that line', async () => {
    // k72dbg-ext4-daxwork.trace.txt:229 page_ref_mod pfn=0x48050 count=1025 (the pin)
    const path = altered('k72dbg-ext4-daxwork.trace.txt', 'count-changed.txt', { 229: (l) => l.replace('count=1025', 'count=1024') });
    const { code, doc } = await checkDoc({ trace: path });
    expect(code).toBe(1);
    expect(doc.mismatches).toEqual([{ line: 229, pfn: '0x48050', field: 'count', recorded: 1024, simulated: 1025, function: 'page_ref_mod' }]);
  });

  it('the pipe drain removed: the drop to 1 is an untraced change, not a mismatch, and nothing is absorbed silently', async () => {
    // k612-ext4-daxwork.trace.txt:259-261: the child's __put_devmap_managed_folio_refs, wake, return
    const path = altered('k612-ext4-daxwork.trace.txt', 'no-drain.txt', { 259: () => null, 260: () => null, 261: () => null });
    const { code, doc } = await checkDoc({ trace: path });
    expect(code).toBe(0);
    expect(doc.untraced).toEqual([{ pfn: '0x48058', field: 'r_48058', before: 2, after: 1, lines: [257, 263] }]);
    expect(doc.observations).toBe(doc.matched + doc.unknown + doc.untraced.length + doc.mismatches.length);
  });
});

describe('k61-ext4-daxrace as a page_ref build would record it', () => {
  it('the grab\'s and the bio release\'s page_ref events match the model, and the finding stays at the release', async () => {
    // CONFIG_DEBUG_PAGE_REF adds page_ref_mod_unless at the GUP-fast grab (after line 165) and
    // the bio's folio_put_refs() as page_ref_mod_and_test in the interrupt (after line 175)
    const path = altered('k61-ext4-daxrace.trace.txt', 'k61-page-ref.txt', {
      165: (l) => `${l}\n         daxrace-368     [001] d....    20.080900: page_ref_mod_unless: pfn=0x48052 flags=reserved count=2 mapcount=0 mapping=00000000c0ffee00 mt=1 val=1 ret=1`,
      175: (l) => `${l}\n          <idle>-0       [001] d.h2.    23.083530: page_ref_mod_and_test: pfn=0x48052 flags=reserved count=1 mapcount=0 mapping=00000000c0ffee00 mt=1 val=-1 ret=0`,
    });
    const { code, doc } = await checkDoc({ trace: path });
    // the missed wakeup is an error-severity finding: exit 1 (issue #12)
    expect(code).toBe(1);
    // 43 as recorded, plus count and mapcount (page_mapcount() on 6.1: 0) of both events
    expect(doc).toMatchObject({ observations: 47, matched: 47, mismatches: [], untraced: [] });
    expect(doc.findings).toEqual([expect.objectContaining({ code: 'missed-wakeup', pfn: '0x48052', function: 'folio_put_refs' })]);
  });
});

describe('a pgmap that is not the folio\'s', () => {
  it('a get_dev_pagemap() of a tail returning another pointer than the head\'s word 1: a mismatch at that line', async () => {
    // k612-devdax-devdaxwork.trace.txt:205: the vmsplice's lookup by the section-1 tail; line 196
    // (the section-8 tail) and the head's w1_ bind 0xffff8880bff2b600 to the model's pgmap first
    const path = altered('k612-devdax-devdaxwork.trace.txt', 'other-pgmap.txt', { 205: (l) => l.replace('pgmap=0xffff8880bff2b600', 'pgmap=0xffff8880bff2c000') });
    const { code, doc } = await checkDoc({ trace: path });
    expect(code).toBe(1);
    expect(doc.mismatches).toEqual([{ line: 205, pfn: '0x144000', field: 'pgmap', recorded: '0xffff8880bff2c000', simulated: 'pgmap dax0.0', function: 'get_dev_pagemap' }]);
  });
  it('a tail whose word 1 names another head: a mismatch on that snap field', async () => {
    const path = altered('k72-devdax-devdaxwork.trace.txt', 'other-head.txt', { 229: (l) => l.replace('w1_17c000=0xffffffffff000001', 'w1_17c000=0xffffffffffe00001') });
    const { code, doc } = await checkDoc({ trace: path });
    expect(code).toBe(1);
    expect(doc.mismatches).toEqual([{ line: 229, pfn: '0x17c000', field: 'w1_17c000', recorded: '0xffffffffffe00001', simulated: '0xffffffffff000001', function: 'ksys_write' }]);
  });
});

describe('bad input', () => {
  it('a missing file, an unknown model and a bad --vmemmap-base are input errors (exit 2)', async () => {
    await expect(check({ trace: join(dir, 'absent.txt') })).rejects.toSatisfy(isInputError);
    await expect(check({ trace: tracePath('k612-ext4-daxrace.trace.txt'), model: 'hybrid' })).rejects.toSatisfy(isInputError);
    await expect(check({ trace: tracePath('k612-ext4-daxrace.trace.txt'), 'vmemmap-base': 'zz' })).rejects.toSatisfy(isInputError);
  });
  it('a line that is not an ftrace line is an input error', async () => {
    const path = altered('k612-ext4-daxrace.trace.txt', 'garbage.txt', { 150: (l) => `${l}\nthis is not ftrace` });
    await expect(check({ trace: path })).rejects.toSatisfy(isInputError);
  });
});

describe('trace-cmd renderings', () => {
  it('give the same observations and verdict as the raw tracefs run of k72dbg-ext4-daxwork', async () => {
    const raw = (await checkDoc({ trace: tracePath('k72dbg-ext4-daxwork.trace.txt') })).doc;
    for (const name of ['k72dbg-ext4-daxwork.tracecmd.txt', 'k72dbg-ext4-daxwork.tracecmd-t.txt']) {
      const { code, doc } = await checkDoc({ trace: tracePath(name) });
      expect(code).toBe(0);
      // the evidence names the lines of each rendering (trace-cmd's header is a line shorter)
      expect({ ...doc, kernel: raw.kernel, evidence: raw.evidence }).toEqual(raw);
      expect(doc.evidence?.map((e) => e.text)).toEqual(raw.evidence?.map((e) => e.text));
      expect(doc.observations).toBe(583);
    }
  });
});
