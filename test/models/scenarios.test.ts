/**
 * The divergence scenarios of spec §11: for every row of S1–S7 and S10–S11, the exact
 * values of both columns (L = legacy, U = unified); S8's try-get semantics and S9's
 * fixed column. Each `steps[i]` is the state after Op #(i + 1) of replays/<case>/ops.jsonl.
 */
import { describe, expect, it } from 'vitest';
import { codes, folio, loadOps, rss, runSteps } from '../fixtures/corpus.ts';
import { getPage, rawWord1, source } from '../../src/state/accessors.ts';
import { PG_head } from '../../src/kernel/page-flags.ts';
import { PAGE_MAPPING_DAX_SHARED, TAIL_MAPPING } from '../../src/state/page.ts';

const P = 0x48050;
const H = 0x48400;
const L = (name: string) => runSteps('legacy', loadOps(name));
const U = (name: string) => runSteps('unified', loadOps(name));
const waiting = (s: { state: { world: { waiters: readonly unknown[] } } }) => s.state.world.waiters.length;

describe('S1 — PTE fault, munmap, truncate', () => {
  const l = L('s1-pte-fault-munmap-truncate');
  const u = U('s1-pte-fault-munmap-truncate');
  it('0 probe: L r=1, m=0, map=∅; U R=0, M=0, map=∅', () => {
    expect(folio(l[0]!.state, P)).toMatchObject({ refcount: 1, mapcount: 0, mapping: null });
    expect(folio(u[0]!.state, P)).toMatchObject({ refcount: 0, mapcount: 0, mapping: null });
  });
  it('1 read fault: L map=F, index 0, r=1, m=0, rss+0; U map=F, R=1, M=1, rss+1', () => {
    expect(folio(l[1]!.state, P)).toMatchObject({ refcount: 1, mapcount: 0, mapping: 'F', index: 0, order: 0 });
    expect(rss(l[1]!.state, 'A')).toBe(0);
    expect(folio(u[1]!.state, P)).toMatchObject({ refcount: 1, mapcount: 1, mapping: 'F', order: 0 });
    expect(rss(u[1]!.state, 'A')).toBe(1);
    // inc 0→1, folio_get →2, rmap, put →1
    expect(u[1]!.events.filter((e) => e.type === 'mod' || e.type === 'mod_and_test').map((e) => ('val' in e ? e.val : 0))).toEqual([1, 1, -1]);
  });
  it('2 write fault: L r=1; U inc→2, upgrade, put→1: R=1, M=1', () => {
    expect(folio(l[2]!.state, P)).toMatchObject({ refcount: 1, mapcount: 0 });
    expect(folio(u[2]!.state, P)).toMatchObject({ refcount: 1, mapcount: 1 });
    expect(u[2]!.events.filter((e) => e.type === 'mod' || e.type === 'mod_and_test').map((e) => ('val' in e ? e.val : 0))).toEqual([1, -1]);
    expect(rss(u[2]!.state, 'A')).toBe(1);
  });
  it('3 munmap: L r=1 (nothing); U M=0, R=0, free_zone_device_folio wakes, map stays F', () => {
    expect(folio(l[3]!.state, P)).toMatchObject({ refcount: 1, mapcount: 0, mapping: 'F' });
    expect(l[3]!.events.some((e) => e.type === 'mod' || e.type === 'mod_and_test' || e.type === 'wake')).toBe(false);
    expect(folio(u[3]!.state, P)).toMatchObject({ refcount: 0, mapcount: 0, mapping: 'F' });
    expect(u[3]!.events.filter((e) => e.type === 'free' || e.type === 'wake').map((e) => e.type)).toEqual(['free', 'wake']);
    expect(rss(u[3]!.state, 'A')).toBe(0);
  });
  it('4 truncate: not busy in either; L disassociates (map=∅); U dax_folio_put (map=∅)', () => {
    expect(folio(l[4]!.state, P)).toMatchObject({ refcount: 1, mapping: null, index: 0 });
    expect(folio(u[4]!.state, P)).toMatchObject({ refcount: 0, mapping: null });
    expect(waiting(l[4]!) + waiting(u[4]!)).toBe(0);
    expect([...l, ...u].flatMap((s) => s.findings)).toEqual([]);
  });
});

describe('S2 — FOLL_GET across truncate', () => {
  const l = L('s2-gup-get-across-truncate');
  const u = U('s2-gup-get-across-truncate');
  it('1 read fault: L r=1; U R=1, M=1', () => {
    expect(folio(l[1]!.state, P)).toMatchObject({ refcount: 1, mapcount: 0 });
    expect(folio(u[1]!.state, P)).toMatchObject({ refcount: 1, mapcount: 1 });
  });
  it('2 get_user_pages(FOLL_GET): L r=2; U R=2', () => {
    expect(folio(l[2]!.state, P).refcount).toBe(2);
    expect(folio(u[2]!.state, P).refcount).toBe(2);
  });
  it('3 truncate: L unmap changes nothing, r=2 busy, waits for 1; U unmap M=0 R=1, R−M=1 busy, waits for 0', () => {
    expect(folio(l[3]!.state, P)).toMatchObject({ refcount: 2, mapcount: 0 });
    expect(l[3]!.state.world.waiters).toMatchObject([{ pfn: P, until: 1, interruptible: true, kind: 'truncate' }]);
    expect(folio(u[3]!.state, P)).toMatchObject({ refcount: 1, mapcount: 0 });
    expect(u[3]!.state.world.waiters).toMatchObject([{ pfn: P, until: 0, interruptible: true, kind: 'truncate' }]);
  });
  it('4 put_page: L devmap hook 2→1 wakes (mod_and_return ret=1); U folio_put 1→0 frees and wakes (mod_and_test ret=1)', () => {
    expect(l[4]!.events.find((e) => e.type === 'mod_and_return')).toMatchObject({ val: -1, ret: 1 });
    expect(l[4]!.events.some((e) => e.type === 'wake')).toBe(true);
    expect(u[4]!.events.find((e) => e.type === 'mod_and_test')).toMatchObject({ val: -1, ret: 1 });
    expect(u[4]!.events.filter((e) => e.type === 'free' || e.type === 'wake').map((e) => e.type)).toEqual(['free', 'wake']);
  });
  it('5 layout break completes: L r=1, map=∅; U R=0, map=∅', () => {
    expect(folio(l[4]!.state, P)).toMatchObject({ refcount: 1, mapping: null });
    expect(folio(u[4]!.state, P)).toMatchObject({ refcount: 0, mapping: null });
    expect(waiting(l[4]!) + waiting(u[4]!)).toBe(0);
    expect(l[4]!.state.world.xa.get('F')?.size ?? 0).toBe(0);
    expect(u[4]!.state.world.xa.get('F')?.size ?? 0).toBe(0);
  });
});

describe('S3 — FOLL_PIN on a 4 KiB page, unmap, unpin', () => {
  const l = L('s3-pin-unmap-unpin');
  const u = U('s3-pin-unmap-unpin');
  it('1 fault: L r=1; U R=1, M=1', () => {
    expect(folio(l[1]!.state, P)).toMatchObject({ refcount: 1, mapcount: 0 });
    expect(folio(u[1]!.state, P)).toMatchObject({ refcount: 1, mapcount: 1 });
  });
  it('2 pin_user_pages_fast: L r=1025 (try_add 1, then +1023); U R=1025', () => {
    expect(folio(l[2]!.state, P).refcount).toBe(1025);
    expect(l[2]!.events.filter((e) => e.type === 'mod_unless' || e.type === 'mod').map((e) => `${e.type}:${'val' in e ? e.val : ''}`)).toEqual(['mod_unless:1', 'mod:1023']);
    expect(folio(u[2]!.state, P)).toMatchObject({ refcount: 1025, mapcount: 1, pincount: null });
  });
  it('3 munmap: L r=1025; U R=1024, M=0', () => {
    expect(folio(l[3]!.state, P).refcount).toBe(1025);
    expect(folio(u[3]!.state, P)).toMatchObject({ refcount: 1024, mapcount: 0 });
  });
  it('4 folio_maybe_dma_pinned: true in both', () => {
    expect(folio(l[3]!.state, P).pinned).toBe(true);
    expect(folio(u[3]!.state, P).pinned).toBe(true);
  });
  it('5 unpin: L −1024 via the devmap hook → r=1, wake; U −1024 → R=0, free, wake', () => {
    expect(folio(l[4]!.state, P).refcount).toBe(1);
    expect(l[4]!.events.find((e) => e.type === 'mod_and_return')).toMatchObject({ val: -1024, ret: 1 });
    expect(l[4]!.events.some((e) => e.type === 'wake')).toBe(true);
    expect(folio(u[4]!.state, P).refcount).toBe(0);
    expect(u[4]!.events.filter((e) => e.type === 'free' || e.type === 'wake').map((e) => e.type)).toEqual(['free', 'wake']);
  });
  it("5' pin_user_pages(FOLL_LONGTERM): −EOPNOTSUPP from check_vma_flags in both; no count changes", () => {
    for (const s of [l[6]!, u[6]!]) {
      expect(s.events.find((e) => e.type === 'exit' && e.fn === 'check_vma_flags')).toMatchObject({ ret: -95 });
      expect(s.events.some((e) => e.type === 'mod' || e.type === 'mod_unless')).toBe(false);
    }
    expect(folio(l[6]!.state, P).refcount).toBe(1);
    expect(folio(u[6]!.state, P)).toMatchObject({ refcount: 1, mapcount: 1 });
  });
});

describe('S4 — PMD fault, partial munmap, PTE re-faults onto the large folio', () => {
  const l = L('s4-pmd-split-pte-refault');
  const u = U('s4-pmd-split-pte-refault');
  it('1 PMD read fault: L 512 order-0 pages r=1, map=F, index=base+i, rss+0; U order-9 folio, tails head|1 + TAIL_MAPPING + r=0, R 0→1→2→1, E=1, M=1, rss+512', () => {
    const s = l[1]!.state;
    for (const i of [0, 1, 2, 511]) expect(folio(s, H + i)).toMatchObject({ head: H + i, order: 0, refcount: 1, mapping: 'F', index: i, mapcount: 0 });
    expect(rss(s, 'A')).toBe(0);
    const t = u[1]!.state;
    expect(folio(t, H + 7)).toMatchObject({ head: H, order: 9, refcount: 1, entire: 1, mapcount: 1, mapping: 'F', index: 0, pgmap: 'pmem0' });
    expect(getPage(t, H)!.flags & PG_head).toBe(PG_head);
    // unified@7.2 with HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y: the 7.1+ mask (spec §0.5); 6.15/6.16: head | 1.
    expect(getPage(t, H + 7)).toMatchObject({ word1: 0xffffffffffff8001n, mapping: TAIL_MAPPING, refcount: 0 });
    const old = runSteps('unified@6.16', loadOps('s4-pmd-split-pte-refault'))[1]!.state;
    expect(getPage(old, H + 7)).toMatchObject({ word1: 0xffffea0001210000n | 1n, mapping: TAIL_MAPPING, refcount: 0 });
    expect(u[1]!.events.filter((e) => e.type === 'mod' || e.type === 'mod_and_test').map((e) => ('val' in e ? e.val : 0))).toEqual([1, 1, -1]);
    expect(rss(t, 'A')).toBe(512);
  });
  it('2 munmap upper 1 MiB: L PMD cleared, counts unchanged; U split: E=0, M=0, R=0, free+wake, rss−512, folio stays order 9 and associated', () => {
    expect(folio(l[2]!.state, H)).toMatchObject({ refcount: 1, mapping: 'F' });
    expect(l[2]!.state.world.ptes.get('A')?.size ?? 0).toBe(0);
    expect(folio(u[2]!.state, H)).toMatchObject({ order: 9, refcount: 0, entire: 0, mapcount: 0, mapping: 'F' });
    expect(u[2]!.events.filter((e) => e.type === 'free' || e.type === 'wake').map((e) => e.type)).toEqual(['free', 'wake']);
    expect(rss(u[2]!.state, 'A')).toBe(0);
  });
  it('3 touch 3 pages in the lower half: L 3 devmap PTEs, each r=1; U PTEs onto the PMD folio: R=3, M=3, rss+3, per-page mapcount 1', () => {
    const s = l[5]!.state;
    for (const i of [1, 2, 3]) expect(folio(s, H + i)).toMatchObject({ refcount: 1, mapcount: 0 });
    expect(s.world.ptes.get('A')?.size).toBe(3);
    const t = u[5]!.state;
    expect(folio(t, H + 2)).toMatchObject({ head: H, order: 9, refcount: 3, mapcount: 3 });
    expect(rss(t, 'A')).toBe(3);
    for (const i of [1, 2, 3]) expect(getPage(t, H + i)!.mapcount).toBe(0);
    expect(getPage(t, H + 4)!.mapcount).toBe(-1);
  });
  it('4 GUP (FOLL_GET) one of those subpages: L that 4 KiB page r=2; U head R=4 (the trace pfn is the head)', () => {
    expect(folio(l[6]!.state, H + 2).refcount).toBe(2);
    expect(folio(l[6]!.state, H + 1).refcount).toBe(1);
    expect(folio(u[6]!.state, H + 2)).toMatchObject({ head: H, refcount: 4 });
    expect(u[6]!.events.find((e) => e.type === 'mod_unless')).toMatchObject({ pfn: H, val: 1, ret: 1 });
  });
  it('5 put: L r=1 (wake); U R=3', () => {
    expect(folio(l[7]!.state, H + 2).refcount).toBe(1);
    expect(l[7]!.events.some((e) => e.type === 'wake')).toBe(true);
    expect(folio(u[7]!.state, H).refcount).toBe(3);
  });
  it('6 truncate: L all r==1 → idle, per-page disassociate (map=∅, index=0); U unmap → R=0, M=0, dax_folio_put splits into 512 order-0 folios (map=∅, share 0, pgmap restored, R=0, no PG_head)', () => {
    const s = l[8]!.state;
    for (const i of [0, 2, 511]) expect(folio(s, H + i)).toMatchObject({ refcount: 1, mapping: null, index: 0 });
    const t = u[8]!.state;
    for (const i of [0, 1, 2, 3, 511]) {
      expect(folio(t, H + i)).toMatchObject({ head: H + i, order: 0, refcount: 0, mapcount: 0, mapping: null, index: 0, pgmap: 'pmem0' });
      expect(getPage(t, H + i)!.flags & PG_head).toBe(0);
      expect(rawWord1(source(t), H + i)).toBe('pmem0');
    }
    expect(waiting(l[8]!) + waiting(u[8]!)).toBe(0);
    expect([...l, ...u].flatMap((x) => x.findings)).toEqual([]);
  });
});

describe('S5 — PMD-mapped range pinned by GUP-fast, then truncate', () => {
  const l = L('s5-pmd-pin-fast-truncate');
  const u = U('s5-pmd-pin-fast-truncate');
  it('1 PMD fault: L 512 × r=1; U R=1, E=1, M=1', () => {
    expect(folio(l[1]!.state, H + 300).refcount).toBe(1);
    expect(folio(u[1]!.state, H)).toMatchObject({ refcount: 1, entire: 1, mapcount: 1 });
  });
  it('2 pin_user_pages_fast on 2 MiB: L per page r=1025; U one grab R=513, P=512', () => {
    for (const i of [0, 1, 511]) expect(folio(l[2]!.state, H + i).refcount).toBe(1025);
    expect(folio(u[2]!.state, H)).toMatchObject({ refcount: 513, pincount: 512, pinned: true });
    expect(u[2]!.events.filter((e) => e.type === 'mod_unless')).toMatchObject([{ pfn: H, val: 512, ret: 1 }]);
  });
  it('2 (unified@6.16): the special PMD sends GUP-fast to slow GUP: follow_huge_pmd grabs 1, __get_user_pages 511', () => {
    const s = runSteps('unified@6.16', loadOps('s5-pmd-pin-fast-truncate'));
    expect(folio(s[2]!.state, H)).toMatchObject({ refcount: 513, pincount: 512 });
    expect(s[2]!.events.filter((e) => e.type === 'mod').map((e) => ('val' in e ? e.val : 0))).toEqual([1, 511]);
  });
  it('3 truncate: L first busy = page 0 (r=1025), waits for it to reach 1; U unmap R=512, M=0, busy head, waits for R==0', () => {
    expect(l[3]!.state.world.waiters).toMatchObject([{ pfn: H, until: 1 }]);
    expect(folio(u[3]!.state, H)).toMatchObject({ refcount: 512, mapcount: 0 });
    expect(u[3]!.state.world.waiters).toMatchObject([{ pfn: H, until: 0 }]);
  });
  it('4 unpin all 512: L each page 1025→1 with a wake per page, the scanner rescans and waits per busy page; U P 512→0, R 512→0, one free + wake', () => {
    expect(l[4]!.events.filter((e) => e.type === 'wake')).toHaveLength(512);
    expect(l[4]!.events.filter((e) => e.type === 'wait')).toHaveLength(511);
    expect(u[4]!.events.filter((e) => e.type === 'wake')).toHaveLength(1);
    expect(u[4]!.events.filter((e) => e.type === 'free')).toHaveLength(1);
    expect(folio(u[4]!.state, H + 9)).toMatchObject({ head: H + 9, order: 0, refcount: 0 });
  });
  it('5 end: L per-page disassociate; U entry deleted, split to order 0', () => {
    for (const i of [0, 1, 511]) expect(folio(l[4]!.state, H + i)).toMatchObject({ refcount: 1, mapping: null, index: 0 });
    expect(folio(u[4]!.state, H)).toMatchObject({ order: 0, refcount: 0, mapping: null, pincount: null });
    expect(waiting(l[4]!) + waiting(u[4]!)).toBe(0);
  });
});

describe('S6 — reflink shared extent mapped via two files', () => {
  const R = 0x48060;
  const l = L('s6-reflink-two-files');
  const u = U('s6-reflink-two-files');
  it('1 read fault file F: L share_get map=S, share=1, r=1, m=0; U plain association map=F, index=3, R=1, M=1', () => {
    expect(folio(l[1]!.state, R)).toMatchObject({ mapping: PAGE_MAPPING_DAX_SHARED, index: 1, refcount: 1, mapcount: 0 });
    expect(folio(u[1]!.state, R)).toMatchObject({ mapping: 'F', index: 3, refcount: 1, mapcount: 1 });
  });
  it('2 read fault file G, same block: L share=2, map=S; U make_shared map=∅, share 1→2, R=2, M=2', () => {
    expect(folio(l[2]!.state, R)).toMatchObject({ mapping: PAGE_MAPPING_DAX_SHARED, index: 2, refcount: 1 });
    expect(folio(u[2]!.state, R)).toMatchObject({ mapping: null, index: 2, refcount: 2, mapcount: 2 });
  });
  it('3 truncate F: L idle, share 2→1, map=S; U unmap F: R=1, M=1, R−M=0 idle, share→1 (no split)', () => {
    expect(folio(l[3]!.state, R)).toMatchObject({ mapping: PAGE_MAPPING_DAX_SHARED, index: 1, refcount: 1 });
    expect(folio(u[3]!.state, R)).toMatchObject({ mapping: null, index: 1, refcount: 1, mapcount: 1 });
    expect(waiting(l[3]!) + waiting(u[3]!)).toBe(0);
  });
  it('4 truncate G: L share→0, map=∅, index=0; U unmap R=0, M=0, free+wake, share→0, map=∅', () => {
    expect(folio(l[4]!.state, R)).toMatchObject({ mapping: null, index: 0, refcount: 1 });
    expect(folio(u[4]!.state, R)).toMatchObject({ mapping: null, index: 0, refcount: 0, mapcount: 0 });
    expect(u[4]!.events.filter((e) => e.type === 'free' || e.type === 'wake').map((e) => e.type)).toEqual(['free', 'wake']);
    expect([...l, ...u].flatMap((x) => x.findings)).toEqual([]);
  });
});

describe('S7 — truncate or evict with DMA in flight after munmap', () => {
  const P2 = 0x48070;
  const l = L('s7-dma-after-munmap');
  const u = U('s7-dma-after-munmap');
  it('1 fault, then pin_user_pages: L r=1025; U R=1025 (1 map ref + pin bias), M=1', () => {
    expect(folio(l[4]!.state, P).refcount).toBe(1025);
    expect(folio(u[4]!.state, P)).toMatchObject({ refcount: 1025, mapcount: 1 });
  });
  it('2 munmap, the pin kept for DMA: L r=1025; U R=1024, M=0', () => {
    expect(folio(l[6]!.state, P).refcount).toBe(1025);
    expect(folio(u[6]!.state, P)).toMatchObject({ refcount: 1024, mapcount: 0 });
  });
  it('3a ftruncate: L busy scan skipped (!mapping_mapped) and disassociate WARNs (r>1): hazard; U R−M=1024 busy, interruptible wait', () => {
    expect(codes(l[7]!.findings)).toEqual(['busy-scan-skipped', 'disassociate-busy-page']);
    expect(l[7]!.findings.map((f) => f.function)).toEqual(['dax_layout_busy_page_range', 'dax_disassociate_entry']);
    expect(folio(l[7]!.state, P)).toMatchObject({ refcount: 1025, mapping: null });
    expect(u[7]!.findings).toEqual([]);
    expect(u[7]!.state.world.waiters).toMatchObject([{ pfn: P, until: 0, interruptible: true, kind: 'truncate' }]);
    expect(folio(u[7]!.state, P).mapping).toBe('F');
  });
  it('3b unlink + last close → evict: L no wait, entry deleted with WARN ⇒ block reuse hazard; U dax_break_layout_final: uninterruptible wait for R==0', () => {
    expect(codes(l[8]!.findings)).toEqual(['evict-without-wait', 'disassociate-busy-page']);
    expect(folio(l[8]!.state, P2)).toMatchObject({ refcount: 1025, mapping: null });
    expect(u[8]!.findings).toEqual([]);
    expect(u[8]!.state.world.waiters[1]).toMatchObject({ pfn: P2, until: 0, interruptible: false, kind: 'evict' });
  });
  it('unpin: U R=0 → the truncate and the eviction delete their entries; L r=1', () => {
    expect(folio(u[9]!.state, P)).toMatchObject({ refcount: 0, mapping: null });
    expect(folio(u[10]!.state, P2)).toMatchObject({ refcount: 0, mapping: null });
    expect(waiting(u[10]!)).toBe(0);
    expect(folio(l[10]!.state, P2).refcount).toBe(1);
  });
});

describe('S8 — GUP-fast speculative get on an idle, unmapped page', () => {
  const l = L('s8-speculative-try-get');
  const u = U('s8-speculative-try-get');
  it('1 associated but unmapped: L r=1; U R=0', () => {
    expect(folio(l[2]!.state, P)).toMatchObject({ refcount: 1, mapping: 'F' });
    expect(folio(u[2]!.state, P)).toMatchObject({ refcount: 0, mapping: 'F' });
  });
  it('2 folio_try_get: L succeeds (r=2), then drops via the devmap hook (→1, wake); U fails: mod_unless val=1 ret=0 count=0', () => {
    expect(l[3]!.events.find((e) => e.type === 'mod_unless')).toMatchObject({ val: 1, ret: 1 });
    expect(l[3]!.events.find((e) => e.type === 'mod_and_return')).toMatchObject({ val: -1, ret: 1 });
    expect(l[3]!.events.some((e) => e.type === 'wake')).toBe(true);
    expect(folio(l[3]!.state, P).refcount).toBe(1);
    expect(u[3]!.events.filter((e) => e.type === 'mod_unless')).toMatchObject([{ val: 1, ret: 0 }]);
    expect(folio(u[3]!.state, P).refcount).toBe(0);
  });
});

describe('S9 — unpin wakes the waiting truncate (fixed column)', () => {
  const l = L('s9-unpin-wakes-truncate');
  const u = U('s9-unpin-wakes-truncate');
  it('1 fault + pin: L r=1025; U R=1025, M=1', () => {
    expect(folio(l[2]!.state, P).refcount).toBe(1025);
    expect(folio(u[2]!.state, P)).toMatchObject({ refcount: 1025, mapcount: 1 });
  });
  it('2 truncate starts waiting: L for r==1; U unmap → R=1024, M=0, waits for 0', () => {
    expect(l[3]!.state.world.waiters).toMatchObject([{ until: 1 }]);
    expect(folio(u[3]!.state, P)).toMatchObject({ refcount: 1024, mapcount: 0 });
    expect(u[3]!.state.world.waiters).toMatchObject([{ until: 0 }]);
  });
  it('3 unpin: L (fixed, v6.x) wake at 1; U R→0, free, wake; the truncate completes in both', () => {
    expect(l[4]!.events.some((e) => e.type === 'wake')).toBe(true);
    expect(folio(l[4]!.state, P)).toMatchObject({ refcount: 1, mapping: null });
    expect(folio(u[4]!.state, P)).toMatchObject({ refcount: 0, mapping: null });
    expect(waiting(l[4]!) + waiting(u[4]!)).toBe(0);
    expect([...l, ...u].flatMap((x) => x.findings)).toEqual([]);
  });
});

describe('S10 — controls: the same behaviour in both models', () => {
  const l = L('s10-controls');
  const u = U('s10-controls');
  it('device-private: init r=0; zone_device_page_init r=1; free → r=0 (page_free, mapping cleared)', () => {
    for (const s of [l, u]) {
      expect(folio(s[0]!.state, 0x100010).refcount).toBe(0);
      expect(folio(s[1]!.state, 0x100010).refcount).toBe(1);
      expect(folio(s[2]!.state, 0x100010)).toMatchObject({ refcount: 0, mapping: null });
      expect(s[2]!.events.some((e) => e.type === 'free')).toBe(true);
    }
  });
  it('device-dax order-9: L head r=1 and the PMD fault changes nothing; U PMD fault R=2, M=1, rss+512; zap → R=1, never freed', () => {
    expect(folio(l[3]!.state, 0x180005)).toMatchObject({ head: 0x180000, order: 9, refcount: 1 });
    expect(folio(l[4]!.state, 0x180000)).toMatchObject({ refcount: 1, mapcount: 0 });
    expect(rss(l[4]!.state, 'A')).toBe(0);
    expect(folio(u[3]!.state, 0x180000)).toMatchObject({ order: 9, refcount: 1 });
    expect(folio(u[4]!.state, 0x180000)).toMatchObject({ refcount: 2, mapcount: 1, entire: 1, mapping: 'dax1.0' });
    expect(rss(u[4]!.state, 'A')).toBe(512);
    expect(folio(u[5]!.state, 0x180000)).toMatchObject({ refcount: 1, mapcount: 0 });
    expect(u[5]!.events.some((e) => e.type === 'free')).toBe(false);
  });
  it('zero-page hole read: special PTE, no association, no refcount change', () => {
    for (const s of [l, u]) {
      expect(s[7]!.events.some((e) => e.type === 'mod' || e.type === 'set_mapping')).toBe(false);
      expect(s[7]!.state.world.xa.get('F')?.get(5)).toMatchObject({ zero: true });
    }
    expect([...l, ...u].flatMap((x) => x.findings)).toEqual([]);
  });
});

describe('S11 — memunmap_pages with FS DAX pages', () => {
  const l = L('s11-memunmap');
  const u = U('s11-memunmap');
  it('the drained page satisfies the teardown expectation: L r==1, map=∅; U R==0, order 0, map=∅', () => {
    expect(folio(l[4]!.state, P)).toMatchObject({ refcount: 1, mapping: null });
    expect(folio(u[4]!.state, P)).toMatchObject({ refcount: 0, order: 0, mapping: null });
  });
  it('a page still mapped at teardown is a finding in both models', () => {
    expect(codes(l[5]!.findings)).toEqual(['pgmap-unregister-mapped', 'pgmap-unregister-associated']);
    expect(codes(u[5]!.findings)).toEqual(['pgmap-unregister-mapped', 'pgmap-unregister-busy', 'pgmap-unregister-associated']);
    expect(l[5]!.findings.every((f) => f.function === 'memunmap_pages' && f.pfn === 0x48070)).toBe(true);
    expect(l[5]!.state.ranges).toEqual([]);
  });
});
