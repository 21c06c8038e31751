/**
 * FS DAX recordings of the vmtest matrix (issue #11) on the unified 7.3 kernel, stock
 * and CONFIG_DEBUG_PAGE_REF, and on legacy 6.12: each sequence that once mismatched,
 * lifted and replayed with the exact refcounts the kernel printed. The fixtures are the
 * vmtest traces as recorded (gzip), under test/fixtures/vmtest/.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Op } from '../../src/events/op.ts';
import { Runner } from '../../src/engine/runner.ts';
import { createModel, resolveProfile } from '../../src/models/index.ts';
import { folioEntireMapcount, folioMapcount, folioPincount, source } from '../../src/state/accessors.ts';
import type { SimState } from '../../src/state/sim-state.ts';
import { liftText } from '../lift/fixtures.ts';
import { checkDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-vmtest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fixture's path. */
function fixture(name: string): string {
  return new URL(`../fixtures/vmtest/${name}.trace.txt.gz`, import.meta.url).pathname;
}

/** A fixture's text. */
function text(name: string): string {
  return gunzipSync(readFileSync(fixture(name))).toString('utf8');
}

/** Replays Ops under the recording kernel's model, keeping the state after each. */
function replay(kernel: string, ops: readonly Op[]): SimState[] {
  const runner = new Runner(createModel(resolveProfile(undefined, { kernel, kconfig: { CONFIG_TRANSPARENT_HUGEPAGE: 'y', CONFIG_FS_DAX_PMD: 'y' } })), { checkpointEvery: 0 });
  return ops.map((op) => {
    runner.pushOp(op);
    return runner.state();
  });
}

/**
 * The trace as a recorder with the page_cache_pipe_buf_release() probe would have
 * printed it: the probe in both header lists, and one event inserted before each given
 * line (what the kernel runs in the pipe drain: the release, then put_page()).
 */
function withPipeProbe(t: string, events: readonly { readonly before: number; readonly text: string }[]): string {
  const def = 'p:ktr/pipe_page_release page_cache_pipe_buf_release pipe=%di:x64 buf=%si:x64 page=+0(%si):x64 ref=+52(+0(%si)):s32';
  const lines = t.split('\n');
  const out: string[] = [];
  lines.forEach((l, i) => {
    for (const e of events) if (e.before === i + 1) out.push(e.text);
    out.push(l);
    if (/^#\s+p:ktr\/pipe_buf_release /.test(l)) out.push(`#   ${def}`);
    if (/^#\s+ok p:ktr\/pipe_buf_release /.test(l)) out.push(`#   ok ${def}`);
  });
  return out.join('\n');
}

function write(name: string, t: string): string {
  const path = join(dir, `${name}.trace.txt`);
  writeFileSync(path, t);
  return path;
}

describe('7.3 O_DIRECT of a whole PMD-mapped folio (fsdax-dio)', async () => {
  const lifted = await liftText(text('k73-ext4-fsdax-dio'));

  it('lifts the three GUP-fast calls of one bio (256, 255 and 1 pages of one PMD folio) as three grabs, not one of 512', () => {
    const grabs = lifted.ops.filter((o) => o.type === 'dio.grab' && o.line !== undefined && o.line >= 365 && o.line <= 369);
    expect(grabs).toEqual([
      expect.objectContaining({ type: 'dio.grab', line: 365, pfn: 0x48400, nr: 256, fast: true }),
      expect.objectContaining({ type: 'dio.grab', line: 367, pfn: 0x48500, nr: 255, fast: true }),
      expect.objectContaining({ type: 'dio.grab', line: 369, pfn: 0x485ff, nr: 1, fast: true }),
    ]);
  });

  it('replays each FOLL_PIN grab as refcount += refs, _pincount += refs (try_grab_folio_fast on a large folio)', () => {
    const states = replay('7.3.4+deb13-amd64', lifted.ops);
    const at = (line: number): SimState => states[lifted.ops.findIndex((o) => o.line === line)]!;
    // try_grab_folio_fast_ret ref=257, 512, 513 (lines 366, 368, 370)
    expect([365, 367, 369].map((l) => source(at(l)).page(0x48400)?.refcount)).toEqual([257, 512, 513]);
    expect([365, 367, 369].map((l) => folioPincount(source(at(l)), 0x48400))).toEqual([256, 511, 512]);
  });

  it('lifts the slow GUP that faulted the PMD in (no GUP-fast grab) as slow: try_grab_folio refs=1, then 15', () => {
    expect(lifted.ops.find((o) => o.line === 348)).toMatchObject({ type: 'dio.grab', pfn: 0x48600, nr: 16, fast: false });
  });

  it('checks clean, every observation matched', async () => {
    const { code, doc } = await checkDoc({ trace: fixture('k73-ext4-fsdax-dio') });
    expect(code).toBe(0);
    expect({ observations: doc.observations, matched: doc.matched, unknown: doc.unknown, mismatches: doc.mismatches.length }).toEqual({ observations: 778, matched: 778, unknown: 0, mismatches: 0 });
  });

  it('7.3dbg: the same workload checks clean, every page_ref change matched (the pin bias of a PTE page included)', async () => {
    const { code, doc } = await checkDoc({ trace: fixture('k73dbg-ext4-fsdax-dio') });
    expect(code).toBe(0);
    expect({ observations: doc.observations, matched: doc.matched, unknown: doc.unknown, mismatches: doc.mismatches.length }).toEqual({ observations: 930, matched: 930, unknown: 0, mismatches: 0 });
  });
});

describe('7.3 vmsplice FOLL_GET references released by the pipe (fsdax-gup)', () => {
  it('without a probe on the pipe release: the drops are unknown (an unseen put_page()), never a mismatch', async () => {
    const { code, doc } = await checkDoc({ trace: fixture('k73-ext4-fsdax-gup') });
    expect(code).toBe(0);
    expect({ matched: doc.matched, unknown: doc.unknown, untraced: doc.untraced.length, mismatches: doc.mismatches.length }).toEqual({ matched: 1273, unknown: 5, untraced: 0, mismatches: 0 });
    const u = doc.unknowns!.map((x) => [x.line, x.pfn, x.field, x.recorded, x.simulated]);
    expect(u).toEqual([
      [292, '0x48051', 'r_48051', 1, 2], // the fast PTE pipe drained
      [320, '0x48400', 'r_48400', 1, 3], // two pages of the PMD folio
      [338, '0x48600', 'r_48600', 1, 3],
      // pages no snap reads: the munmap's rmap probe shows them dropped (2 - 1 and 3 - 2 before the unseen puts)
      [463, '0x48058', 'ref', 1, 1],
      [468, '0x48052', 'ref', 1, 1],
    ]);
    expect(doc.unknowns![1]!.reason).toBe('2 FOLL_GET reference(s) of this folio (the last taken at line 314) are dropped by put_page(), and only a put that frees the folio (__folio_put/free_zone_device_folio) is probed: 2 of them may have been put here unseen');
  });

  it('with the probe: each release is a put_page() Op, replayed to the recorded counts, nothing unknown', async () => {
    const page = (pfn: number): string => `0x${(0xffb5f86401000000n + BigInt(pfn - 0x40000) * 64n).toString(16)}`;
    const ev = (pfn: number, ref: number, ts: string): string => `       fsdax-gup-703     (    703) [000] .....    ${ts}: pipe_page_release: (page_cache_pipe_buf_release+0x4/0x70) pipe=0xff28f75841234000 buf=0xff28f75841234100 page=${page(pfn)} ref=${ref}`;
    const t = withPipeProbe(text('k73-ext4-fsdax-gup'), [
      { before: 291, text: ev(0x48051, 2, '71.006300') }, // gup_get_fast_pte_release
      { before: 310, text: ev(0x48058, 2, '71.007300') }, // gup_get_slow_pte_release
      // two tail pages of the PMD folio: a tail's own _refcount is 0
      { before: 320, text: ev(0x48420, 0, '71.008300') },
      { before: 320, text: ev(0x48421, 0, '71.008301') },
      { before: 338, text: ev(0x48620, 0, '71.009300') },
      { before: 338, text: ev(0x48621, 0, '71.009301') },
      { before: 354, text: ev(0x48052, 3, '71.010300') }, // gup_get_twice_release_first
      { before: 358, text: ev(0x48052, 2, '71.010400') },
    ]);
    const lifted = await liftText(t);
    const puts = lifted.ops.filter((o) => o.type === 'put');
    expect(puts.map((o) => o.type === 'put' && [o.pfn, o.nr, o.via])).toEqual([
      [0x48051, 1, 'put_page'], [0x48058, 1, 'put_page'], [0x48420, 1, 'put_page'], [0x48421, 1, 'put_page'],
      [0x48620, 1, 'put_page'], [0x48621, 1, 'put_page'], [0x48052, 1, 'put_page'], [0x48052, 1, 'put_page'],
    ]);
    // each vmsplice is plain GUP (released by a put, not a bio)
    expect(lifted.ops.filter((o) => o.type === 'gup.get')).toHaveLength(6);
    const states = replay('7.3.4+deb13-amd64', lifted.ops);
    const after = (i: number): SimState => states[lifted.ops.indexOf(puts[i]!)]!;
    expect([0, 1, 3, 5, 6, 7].map((i) => source(after(i)).page([0x48051, 0x48058, 0, 0x48400, 0, 0x48600, 0x48052, 0x48052][i]!)?.refcount)).toEqual([1, 1, 1, 1, 2, 1]);
    const { code, doc } = await checkDoc({ trace: write('k73-gup-pipe', t) });
    expect(code).toBe(0);
    expect({ unknown: doc.unknown, untraced: doc.untraced.length, mismatches: doc.mismatches.length }).toEqual({ unknown: 0, untraced: 0, mismatches: 0 });
  });
});

describe('7.3, recorded with the page_cache_pipe_buf_release() probe (fsdax-gup)', async () => {
  const lifted = await liftText(text('k73-ext4-fsdax-gup-pipe'));

  it('every pipe drain shows as put_page() of each spliced page (a PMD folio\'s tails among them), lifted as puts', () => {
    const puts = lifted.ops.filter((o) => o.type === 'put');
    expect(puts.map((o) => o.type === 'put' && [o.line, o.pfn, o.nr])).toEqual([
      [291, 0x48051, 1], [311, 0x48058, 1], [322, 0x48420, 1], [323, 0x48421, 1], [342, 0x48620, 1], [343, 0x48621, 1], [360, 0x48052, 1], [365, 0x48052, 1],
    ]);
  });

  it('checks clean with nothing unknown: every put seen', async () => {
    const { code, doc } = await checkDoc({ trace: fixture('k73-ext4-fsdax-gup-pipe') });
    expect(code).toBe(0);
    expect({ observations: doc.observations, matched: doc.matched, unknown: doc.unknown, untraced: doc.untraced.length, mismatches: doc.mismatches.length }).toEqual({ observations: 1286, matched: 1286, unknown: 0, untraced: 0, mismatches: 0 });
  });
});

describe('7.3dbg: a pipe of two pages of one PMD folio drained (fsdax-gup)', async () => {
  const lifted = await liftText(text('k73dbg-ext4-fsdax-gup'));

  it('two page_ref_mod_and_test val=-1 on the head are two put_page()s, not one', () => {
    expect(lifted.ops.filter((o) => o.type === 'put' && o.line !== undefined && o.line >= 346 && o.line <= 347)).toEqual([
      expect.objectContaining({ type: 'put', line: 346, pfn: 0x48400, nr: 1 }),
      expect.objectContaining({ type: 'put', line: 347, pfn: 0x48400, nr: 1 }),
    ]);
    const states = replay('7.3.4', lifted.ops);
    expect([346, 347].map((l) => source(states[lifted.ops.findIndex((o) => o.line === l)]!).page(0x48400)?.refcount)).toEqual([2, 1]);
  });

  it('checks clean: every page_ref change and snap matched', async () => {
    const { code, doc } = await checkDoc({ trace: fixture('k73dbg-ext4-fsdax-gup') });
    expect(code).toBe(0);
    expect({ observations: doc.observations, matched: doc.matched, unknown: doc.unknown, untraced: doc.untraced.length, mismatches: doc.mismatches.length }).toEqual({ observations: 1420, matched: 1420, unknown: 0, untraced: 0, mismatches: 0 });
  });
});

describe('6.12: the pipe release probe on a legacy kernel (put_page() → the devmap hook)', () => {
  it('absorbs the devmap hook put_page() calls inside page_cache_pipe_buf_release(): one put, not two', async () => {
    const t0 = text('k612-ext4-fsdax-gup');
    const hook = t0.split('\n').findIndex((l) => l.includes('put_devmap_folio_refs: (__put_devmap_managed_folio_refs') && l.includes('folio=0xffcf525301201440')) + 1;
    const t = withPipeProbe(t0, [{ before: hook, text: '       fsdax-gup-734     (    734) [001] .....    79.839700: pipe_page_release: (page_cache_pipe_buf_release+0x4/0xa0) pipe=0xff1f2ccd81234000 buf=0xff1f2ccd81234100 page=0xffcf525301201440 ref=2' }]);
    const lifted = await liftText(t);
    const puts = lifted.ops.filter((o) => o.type === 'put' && o.pfn === 0x48051);
    expect(puts).toHaveLength(1);
    // (the two header lines of the probe move the inserted event to hook + 2)
    expect(puts[0]).toMatchObject({ line: hook + 2, nr: 1, via: 'put_page' });
    const base = await checkDoc({ trace: fixture('k612-ext4-fsdax-gup') });
    const { code, doc } = await checkDoc({ trace: write('k612-gup-pipe', t) });
    expect(code).toBe(0);
    // the new probe's ref=2 is one more observation, matched; nothing else changes
    expect({ observations: doc.observations, matched: doc.matched, mismatches: doc.mismatches.length }).toEqual({ observations: base.doc.observations + 1, matched: base.doc.matched + 1, mismatches: 0 });
  });
});

describe('7.3 MAP_SYNC write faults (fsdax-faults): the insert comes from dax_finish_sync_fault()', async () => {
  const dbg = await liftText(text('k73dbg-ext4-fsdax-faults'));

  it('lifts the NEEDDSYNC fault and its sync insert as one mapped fault, PMD and PTE', () => {
    // :485-493 dax_pmd_fault, _done NEEDDSYNC, then folio_ref_inc, vmf_insert_folio_pmd, folio_put, dax_insert_pfn_mkwrite
    expect(dbg.ops.find((o) => o.line === 485)).toMatchObject({ type: 'dax.fault', pfn: 0x48a00, level: 'pmd', write: true });
    expect(dbg.ops.find((o) => o.line === 498)).toMatchObject({ type: 'dax.fault', pfn: 0x48c00, level: 'pte', write: true });
    // the folio_put() of dax_insert_pfn_mkwrite() is the fault's own, not a put Op
    expect(dbg.ops.filter((o) => o.type === 'put' && o.line !== undefined && o.line >= 485 && o.line <= 535)).toEqual([]);
  });

  it('replays each to one mapping reference: refcount 1, the PMD entire-mapped once, the PTE mapped once', () => {
    const states = replay('7.3.4', dbg.ops);
    const after = (line: number) => source(states[dbg.ops.findIndex((o) => o.line === line)]!);
    expect([after(485).page(0x48a00)?.refcount, folioEntireMapcount(after(485), 0x48a00)]).toEqual([1, 1]);
    expect([after(498).page(0x48c00)?.refcount, folioMapcount(after(498), 0x48c00)]).toEqual([1, 1]);
  });

  it.each(['k73dbg-ext4-fsdax-faults', 'k73-ext4-fsdax-faults'])('%s checks clean, nothing unknown', async (name) => {
    const { code, doc } = await checkDoc({ trace: fixture(name) });
    expect(code).toBe(0);
    expect({ unknown: doc.unknown, untraced: doc.untraced.length, mismatches: doc.mismatches.length, matched: doc.matched === doc.observations }).toEqual({ unknown: 0, untraced: 0, mismatches: 0, matched: true });
  });
});

describe('7.3 fork of a private mapping with anon pages (fsdax-vma)', async () => {
  const stock = await liftText(text('k73-ext4-fsdax-vma'));

  it('names each fork\'s child by the first new task of its name (its pid is in no probe)', () => {
    expect(stock.ops.filter((o) => o.type === 'fork').map((o) => o.type === 'fork' && [o.line, o.mm, o.child])).toEqual([
      [274, 'mm:1569', 'mm:1572'], [456, 'mm:1569', 'mm:1573'],
    ]);
    // the child's write to the copied private page is a copy-on-write in the child's mm
    expect(stock.ops.find((o) => o.line === 517)).toMatchObject({ type: 'cow', mm: 'mm:1573', address: 0x7ff40bc01000 });
  });

  it('replays the copied PTE: page 0x48051 3/3 after the fork (two parent mappings and the child\'s), 2/2 after the child\'s CoW', () => {
    const states = replay('7.3.4+deb13-amd64', stock.ops);
    const after = (line: number) => source(states[stock.ops.findIndex((o) => o.line === line)]!);
    expect([after(456).page(0x48051)?.refcount, folioMapcount(after(456), 0x48051)]).toEqual([3, 3]);
    expect([after(517).page(0x48051)?.refcount, folioMapcount(after(517), 0x48051)]).toEqual([2, 2]);
  });

  it.each([['k73-ext4-fsdax-vma', [519]], ['k73dbg-ext4-fsdax-vma', [535, 568, 571, 597]]] as const)('%s: the fork and the child\'s CoW match (lines %j)', async (name, lines) => {
    const { doc } = await checkDoc({ trace: fixture(name) });
    expect(doc.mismatches.filter((m) => (lines as readonly number[]).includes(m.line))).toEqual([]);
    expect(doc.unknowns?.filter((u) => (lines as readonly number[]).includes(u.line ?? 0)) ?? []).toEqual([]);
  });
});

describe('7.3dbg PTE faults of pages of a PMD-sized folio (fsdax-vma, after mprotect split the PMD)', async () => {
  const dbg = await liftText(text('k73dbg-ext4-fsdax-vma'));

  it('take the page from vmf_insert_page_mkwrite(), not the head page_ref prints first', () => {
    // :691 page_ref_mod pfn=0x48800 (the folio), :692 vmf_insert_page_mkwrite page=0x48810
    expect(dbg.ops.find((o) => o.line === 690)).toMatchObject({ type: 'dax.fault', level: 'pte', pfn: 0x48810, pgoff: 0x10 });
    expect(dbg.ops.find((o) => o.line === 703)).toMatchObject({ type: 'dax.fault', level: 'pte', pfn: 0x48820, pgoff: 0x20 });
  });

  it('so the munmap of those two PTEs is lifted and replayed: the folio freed at 0', () => {
    const un = dbg.ops.find((o) => o.type === 'munmap' && o.line === 716);
    expect(un).toMatchObject({ mm: 'mm:1550' });
    const states = replay('7.3.4', dbg.ops);
    const at = (line: number) => source(states[dbg.ops.findIndex((o) => o.line === line)]!).page(0x48800)?.refcount;
    expect([at(690), at(703), at(716)]).toEqual([1, 2, 0]);
  });
});
