/**
 * The shared fold, one `it` per RefEvent kind, each on a legacy-style fsdax range
 * (idle refcount 1) at pfn 0x40200 unless it needs a large folio.
 */
import { describe, expect, it } from 'vitest';
import { foldAll } from '../../src/engine/runner.ts';
import { step } from '../../src/engine/step.ts';
import type { RefEventInit } from '../../src/events/ref-event.ts';
import { REF_EVENT_SCHEMA } from '../../src/events/schema.ts';
import {
  compoundHead, folioEntireMapcount, folioMapcount, folioOrder, folioPincount, getPage, pagePgmap, source,
} from '../../src/state/accessors.ts';
import { PG_head, PG_reserved } from '../../src/kernel/page-flags.ts';
import { TAIL_MAPPING } from '../../src/state/page.ts';
import { pageCount } from '../../src/state/sim-state.ts';
import { fsdaxInit, mod, modAndTest, numbered, prep } from '../fixtures/events.ts';

const P = 0x40200;
const fold = (...events: RefEventInit[]) => foldAll(numbered(events));
const page = (events: RefEventInit[], pfn = P) => getPage(fold(...events).state, pfn);

describe('fold: one rule per RefEvent kind', () => {
  it('covers every RefEvent type of the schema in this file', () => {
    // 30 kinds, each with its own `it` below
    expect(Object.keys(REF_EVENT_SCHEMA)).toHaveLength(30);
  });

  it('memmap_init registers a range whose untouched pages read with the type initial values', () => {
    const { state } = fold(fsdaxInit(1));
    expect(state.ranges).toEqual([{ pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, refcount: 1, vmemmapShift: 0 }]);
    expect(pageCount(state.pages)).toBe(0);
    expect(getPage(state, P)).toEqual({
      flags: PG_reserved, word1: 'pmem0', mapping: null, index: 0, refcount: 1, mapcount: -1,
      folioOrder: 0, entireMapcount: -1, largeMapcount: -1, pincount: 0,
    });
    expect(getPage(state, 0x3ffff)).toBeUndefined();
    expect(getPage(state, 0x60000)).toBeUndefined();
  });

  it('memmap_remove drops the range and its written pages', () => {
    const { state } = fold(fsdaxInit(1), mod(P, 1), { type: 'memmap_remove', pgmap: 'pmem0' });
    expect(state.ranges).toEqual([]);
    expect(pageCount(state.pages)).toBe(0);
    expect(getPage(state, P)).toBeUndefined();
  });

  it('set writes the refcount (page_ref_set)', () => {
    expect(page([fsdaxInit(1), { type: 'set', pfn: P, val: 7 }])?.refcount).toBe(7);
  });

  it('mod adds val to the refcount (page_ref_mod)', () => {
    expect(page([fsdaxInit(1), mod(P, 2), mod(P, -1)])?.refcount).toBe(2);
  });

  it('mod_and_test subtracts and checks ret against "reached 0"', () => {
    const ok = fold(fsdaxInit(1), modAndTest(P, -1, 1));
    expect(getPage(ok.state, P)?.refcount).toBe(0);
    expect(ok.findings).toEqual([]);
    const bad = fold(fsdaxInit(2), modAndTest(P, -1, 1));
    expect(getPage(bad.state, P)?.refcount).toBe(1);
    expect(bad.findings).toEqual([
      { code: 'ret-mismatch', severity: 'error', seq: 2, pfn: P, function: 'page_ref_mod_and_test', message: 'mod_and_test on pfn 0x40200 recorded ret=1, the state gives 0' },
    ]);
  });

  it('mod_and_return checks ret against the new count', () => {
    const r = fold(fsdaxInit(1), { type: 'mod_and_return', pfn: P, val: 1, ret: 2 }, { type: 'mod_and_return', pfn: P, val: -1, ret: 1 });
    expect(getPage(r.state, P)?.refcount).toBe(1);
    expect(r.findings).toEqual([]);
  });

  it('mod_unless adds only when the count is not `unless` (default 0)', () => {
    const r = fold(fsdaxInit(0), { type: 'mod_unless', pfn: P, val: 1, ret: 0 }, { type: 'mod_unless', pfn: P, val: 1, unless: 5, ret: 1 });
    expect(getPage(r.state, P)?.refcount).toBe(1);
    expect(r.findings).toEqual([]);
  });

  it('freeze sets the count to 0 only when it equals val', () => {
    const r = fold(fsdaxInit(3), { type: 'freeze', pfn: P, val: 2, ret: 0 }, { type: 'freeze', pfn: 0x40201, val: 3, ret: 1 });
    expect(getPage(r.state, P)?.refcount).toBe(3);
    expect(getPage(r.state, 0x40201)?.refcount).toBe(0);
    expect(r.findings).toEqual([]);
  });

  it('unfreeze restores the count to val', () => {
    expect(page([fsdaxInit(3), { type: 'freeze', pfn: P, val: 3 }, { type: 'unfreeze', pfn: P, val: 3 }])?.refcount).toBe(3);
  });

  it('prep_compound makes a head, tails pointing at it, page[1] metadata and TAIL_MAPPING from page[3]', () => {
    const { state } = fold(fsdaxInit(0), prep(P, 9));
    const src = source(state);
    expect(getPage(state, P)?.flags).toBe(PG_reserved | PG_head);
    expect(getPage(state, P + 1)).toMatchObject({ word1: 0xffffea0001008001n, folioOrder: 9, entireMapcount: -1, largeMapcount: -1, pincount: 0, mapping: null });
    expect(getPage(state, P + 2)?.mapping).toBeNull();
    expect(getPage(state, P + 3)?.mapping).toBe(TAIL_MAPPING);
    expect(getPage(state, P + 511)?.word1).toBe(0xffffea0001008001n);
    expect(folioOrder(src, P)).toBe(9);
    expect(compoundHead(src, P + 511)).toBe(P);
    expect(compoundHead(src, P + 512)).toBe(P + 512);
    expect(pagePgmap(src, P + 300)).toBe('pmem0');
  });

  it('split turns every page of the folio back into an order-0 folio with its pgmap', () => {
    const { state, findings } = fold(fsdaxInit(0), prep(P, 9), { type: 'set_mapping', pfn: P, mapping: 'inode:7', index: 0 }, { type: 'split', pfn: P });
    const src = source(state);
    expect(findings).toEqual([]);
    expect(folioOrder(src, P)).toBe(0);
    expect(getPage(state, P)).toMatchObject({ flags: PG_reserved, word1: 'pmem0', mapping: null, index: 0 });
    expect(getPage(state, P + 5)).toMatchObject({ flags: PG_reserved, word1: 'pmem0', mapping: null });
    expect(compoundHead(src, P + 5)).toBe(P + 5);
  });

  it('set_mapping writes mapping and index', () => {
    expect(page([fsdaxInit(1), { type: 'set_mapping', pfn: P, mapping: 'inode:12', index: 42 }])).toMatchObject({ mapping: 'inode:12', index: 42 });
  });

  it('share writes the share count into the index/share word', () => {
    expect(page([fsdaxInit(0), { type: 'share', pfn: P, share: 2 }])?.index).toBe(2);
  });

  it('add_rmap raises _mapcount per page for PTEs, and _entire/_large_mapcount for a PMD', () => {
    const pte = fold(fsdaxInit(0), { type: 'add_rmap', pfn: P, page: P, nr: 1, level: 'pte' });
    expect(getPage(pte.state, P)?.mapcount).toBe(0);
    expect(folioMapcount(source(pte.state), P)).toBe(1);
    const pmd = fold(fsdaxInit(0), prep(P, 9), { type: 'add_rmap', pfn: P, page: P, nr: 512, level: 'pmd' });
    expect(getPage(pmd.state, P + 1)).toMatchObject({ entireMapcount: 0, largeMapcount: 0 });
    expect(folioMapcount(source(pmd.state), P)).toBe(1);
    expect(folioEntireMapcount(source(pmd.state), P)).toBe(1);
  });

  it('remove_rmap undoes add_rmap', () => {
    const r = fold(fsdaxInit(0), { type: 'add_rmap', pfn: P, page: P, nr: 1, level: 'pte' }, { type: 'remove_rmap', pfn: P, page: P, nr: 1, level: 'pte' });
    expect(getPage(r.state, P)?.mapcount).toBe(-1);
    expect(folioMapcount(source(r.state), P)).toBe(0);
    expect(r.findings).toEqual([]);
  });

  it('pin_count adds to page[1] _pincount of a large folio', () => {
    const r = fold(fsdaxInit(0), prep(P, 9), { type: 'pin_count', pfn: P, val: 3 }, { type: 'pin_count', pfn: P, val: -1 });
    expect(getPage(r.state, P + 1)?.pincount).toBe(2);
    expect(folioPincount(source(r.state), P)).toBe(2);
  });

  // Markers change no page: the state after them is the state before, but for the event count.
  it.each([
    ['wake', { type: 'wake', pfn: P, fn: '__put_devmap_managed_folio_refs' }],
    ['free', { type: 'free', pfn: P, fn: 'free_zone_device_folio' }],
    ['enter', { type: 'enter', fn: 'dax_iomap_fault', pfn: P }],
    ['exit', { type: 'exit', fn: 'dax_iomap_fault', pfn: P, ret: 0 }],
  ] as const)('%s is a marker that changes no page', (_kind, event) => {
    const before = fold(fsdaxInit(1), mod(P, 1)).state;
    const [after, findings] = step(before, { ...event, seq: 3 });
    expect(findings).toEqual([]);
    expect(after.pages).toBe(before.pages);
    expect(after.world).toBe(before.world);
    expect(after.events).toBe(3);
  });

  it('vma_add adds a VMA to its mm, sorted by start', () => {
    const { state } = fold({ type: 'vma_add', mm: 'mm1', start: 0x7f0000200000, end: 0x7f0000400000, shared: true, file: 'inode:1', pgoff: 512 }, { type: 'vma_add', mm: 'mm1', start: 0x7f0000000000, end: 0x7f0000200000, shared: false, file: null, pgoff: 0 });
    expect(state.world.vmas.get('mm1')).toEqual([
      { start: 0x7f0000000000, end: 0x7f0000200000, shared: false, file: null, pgoff: 0 },
      { start: 0x7f0000200000, end: 0x7f0000400000, shared: true, file: 'inode:1', pgoff: 512 },
    ]);
  });

  it('vma_remove keeps the parts of a VMA outside the range (split_vma)', () => {
    const { state } = fold({ type: 'vma_add', mm: 'mm1', start: 0x10000, end: 0x14000, shared: true, file: 'f', pgoff: 0 }, { type: 'vma_remove', mm: 'mm1', start: 0x11000, end: 0x12000 });
    expect(state.world.vmas.get('mm1')).toEqual([
      { start: 0x10000, end: 0x11000, shared: true, file: 'f', pgoff: 0 },
      { start: 0x12000, end: 0x14000, shared: true, file: 'f', pgoff: 2 },
    ]);
  });

  it('pt_set installs a page-table entry', () => {
    const { state } = fold({ type: 'pt_set', mm: 'mm1', addr: 0x7f0000000000, level: 'pte', pfn: P, write: true, special: false, refcounted: true });
    expect(state.world.ptes.get('mm1')?.get(0x7f0000000000)).toEqual({ addr: 0x7f0000000000, level: 'pte', pfn: P, write: true, special: false, refcounted: true });
  });

  it('pt_clear removes it', () => {
    const { state } = fold({ type: 'pt_set', mm: 'mm1', addr: 0x1000, level: 'pte', pfn: P, write: false, special: false, refcounted: false }, { type: 'pt_clear', mm: 'mm1', addr: 0x1000, level: 'pte' });
    expect(state.world.ptes.get('mm1')?.size).toBe(0);
  });

  it('xa_store stores a DAX entry for a file index', () => {
    const { state } = fold({ type: 'xa_store', file: 'inode:7', pgoff: 512, pfn: P, order: 9, zero: false, shared: false });
    expect(state.world.xa.get('inode:7')?.get(512)).toEqual({ pgoff: 512, pfn: P, order: 9, zero: false, shared: false });
  });

  it('xa_erase removes it', () => {
    const { state } = fold({ type: 'xa_store', file: 'f', pgoff: 0, pfn: P, order: 0, zero: false, shared: false }, { type: 'xa_erase', file: 'f', pgoff: 0 });
    expect(state.world.xa.get('f')?.size).toBe(0);
  });

  it('rss adds to the mm MM_FILEPAGES counter', () => {
    expect(fold({ type: 'rss', mm: 'mm1', val: 512 }, { type: 'rss', mm: 'mm1', val: -1 }).state.world.rss.get('mm1')).toBe(511);
  });

  it('wait adds a waiter, stamped with the seq it began at', () => {
    const { state } = fold({ type: 'wait', pfn: P, fn: 'ext4_break_layouts', file: 'inode:7', start: 0, end: 511, until: 1, interruptible: true, waiter: 4, kind: 'break_layout' });
    expect(state.world.waiters).toEqual([{ waiter: 4, pfn: P, fn: 'ext4_break_layouts', file: 'inode:7', start: 0, end: 511, until: 1, interruptible: true, kind: 'break_layout', since: 1 }]);
  });

  it('wait_end removes the waiter, and reports one that is not waiting', () => {
    const w: RefEventInit = { type: 'wait', pfn: P, fn: 'f', file: 'x', start: 0, end: 0, until: 0, interruptible: false, waiter: 4, kind: 'truncate' };
    const r = fold(w, { type: 'wait_end', waiter: 4, how: 'woken' }, { type: 'wait_end', waiter: 9, how: 'interrupted' });
    expect(r.state.world.waiters).toEqual([]);
    expect(r.findings).toEqual([{ code: 'no-such-waiter', severity: 'error', seq: 3, pfn: -1, function: 'wake_up_var', message: 'wait_end for Op #9, which is not waiting' }]);
  });

  it('warn becomes a finding (a kernel WARN is a value, never an exception)', () => {
    const r = fold({ type: 'warn', code: 'busy-at-evict', severity: 'warn', pfn: P, fn: 'dax_break_layout_final', message: 'page busy at evict', op: 7 });
    expect(r.findings).toEqual([{ code: 'busy-at-evict', severity: 'warn', seq: 7, pfn: P, function: 'dax_break_layout_final', message: 'page busy at evict' }]);
  });
});
