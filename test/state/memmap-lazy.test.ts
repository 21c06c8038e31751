/**
 * memmap_init is lazy: a range is one record, and a page exists only once written.
 * A 1 TiB pgmap (2^28 pfns of 4 KiB) therefore registers in constant time and memory.
 */
import { describe, expect, it } from 'vitest';
import { step } from '../../src/engine/step.ts';
import { blocksOf, createState, pageCount } from '../../src/state/sim-state.ts';
import { compoundHead, folioOrder, getPage, source } from '../../src/state/accessors.ts';
import { PG_head, PG_reserved } from '../../src/kernel/page-flags.ts';

const TIB_PFNS = 2 ** 28;
const BASE = 0x1000000; // 64 GiB

describe('memmap_init (lazy)', () => {
  it('registers a 1 TiB range without creating a single page', () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const [state, findings] = step(createState(), { seq: 1, type: 'memmap_init', pfn: BASE, nr: TIB_PFNS, pgmap: 'pmem1t', pgmapType: 'fsdax', refcount: 1, vmemmapShift: 0 });
    const ms = performance.now() - t0;
    expect(findings).toEqual([]);
    expect(state.pages.size).toBe(0);
    expect(state.ranges).toHaveLength(1);
    // generous bounds: one record, not 2^28 of them (which would take seconds and gigabytes)
    expect(ms).toBeLessThan(250);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(16 * 2 ** 20);
  });

  it('gives an untouched pfn in the middle of the range its initial values', () => {
    const [state] = step(createState(), { seq: 1, type: 'memmap_init', pfn: BASE, nr: TIB_PFNS, pgmap: 'pmem1t', pgmapType: 'fsdax', refcount: 1, vmemmapShift: 0 });
    const mid = BASE + TIB_PFNS / 2 + 12345;
    expect(getPage(state, mid)).toEqual({
      flags: PG_reserved, word1: 'pmem1t', mapping: null, index: 0, refcount: 1, mapcount: -1,
      folioOrder: 0, entireMapcount: -1, largeMapcount: -1, pincount: 0,
    });
    expect(getPage(state, BASE + TIB_PFNS)).toBeUndefined();
    expect(state.pages.size).toBe(0);
  });

  it('materialises exactly one page (one block) when a pfn in the middle is written', () => {
    const [s1] = step(createState(), { seq: 1, type: 'memmap_init', pfn: BASE, nr: TIB_PFNS, pgmap: 'pmem1t', pgmapType: 'fsdax', refcount: 1, vmemmapShift: 0 });
    const mid = BASE + TIB_PFNS / 2;
    const [s2] = step(s1, { seq: 2, type: 'mod', pfn: mid, val: 1 });
    expect([...blocksOf(s2.pages)]).toHaveLength(1);
    expect(pageCount(s2.pages)).toBe(1);
    expect(getPage(s2, mid)?.refcount).toBe(2);
    expect(getPage(s2, mid + 1)?.refcount).toBe(1);
    expect(s1.pages.size).toBe(0);
  });

  it('derives device-dax compound pages lazily (vmemmap_shift 18 over 1 TiB)', () => {
    const [state] = step(createState(), { seq: 1, type: 'memmap_init', pfn: BASE, nr: TIB_PFNS, pgmap: 'dax1t', pgmapType: 'generic', refcount: 1, vmemmapShift: 18 });
    const src = source(state);
    const head = BASE + 5 * 2 ** 18;
    expect(getPage(state, head)).toMatchObject({ flags: PG_reserved | PG_head, word1: 'dax1t', refcount: 1 });
    expect(getPage(state, head + 1)).toMatchObject({ refcount: 0, folioOrder: 18, mapping: null });
    expect(getPage(state, head + 3)?.mapping).toBe('TAIL_MAPPING');
    expect(compoundHead(src, head + 200000)).toBe(head);
    expect(folioOrder(src, head)).toBe(18);
    expect(state.pages.size).toBe(0);
  });
});
