/**
 * Plain pages (page.ts isPlain/plainPage, Txn.plainRefcount/storePlain): a page that
 * differs from its order-0 range's untouched page only in `_refcount` is stored as one
 * shared frozen page per (pgmap, count). Sharing must never let a write reach a page
 * another slot or state holds: Txn.mut() copies a shared page before handing it out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayTraceFile } from '../../src/engine/replay-trace.ts';
import { snapshot } from '../fixtures/streams.ts';
import { Txn } from '../../src/state/txn.ts';
import { Runner } from '../../src/engine/runner.ts';
import type { SimState } from '../../src/state/sim-state.ts';
import { isPlain, plainPage } from '../../src/state/page.ts';
import { PG_head, PG_reserved } from '../../src/kernel/page-flags.ts';
import { getPage } from '../../src/state/accessors.ts';

const BASE = 0x40000;

function registered(shift = 0): SimState {
  const r = new Runner(undefined, { checkpointEvery: 0 });
  r.foldOnly({ seq: 1, type: 'memmap_init', pfn: BASE, nr: 4096, pgmap: 'pmem0', pgmapType: 'fsdax', refcount: 0, vmemmapShift: shift });
  return r.state();
}

describe('plain pages', () => {
  it('reads an untouched order-0 page as plain at its range refcount, and no page outside a range or in a compound range', () => {
    const t = new Txn(registered());
    expect(t.plainRefcount(BASE + 7)).toBe(0);
    expect(t.plainRefcount(BASE + 4096)).toBeNaN();
    expect(new Txn(registered(9)).plainRefcount(BASE + 1)).toBeNaN();
  });

  it('stores one shared frozen page per pgmap and count, equal to the page a copy would give', () => {
    const t = new Txn(registered());
    expect(t.plainRefcount(BASE + 1)).toBe(0);
    t.storePlain(BASE + 1, 2);
    expect(t.plainRefcount(BASE + 2)).toBe(0);
    t.storePlain(BASE + 2, 2);
    const s = t.commit();
    const a = getPage(s, BASE + 1)!;
    expect(a).toBe(getPage(s, BASE + 2));
    expect(a).toBe(plainPage('pmem0', 2));
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toEqual({ flags: PG_reserved, word1: 'pmem0', mapping: null, index: 0, refcount: 2, mapcount: -1, folioOrder: 0, entireMapcount: -1, largeMapcount: -1, pincount: 0 });
    expect(isPlain(a)).toBe(true);
    // a count past the shared ones is still a frozen plain page
    expect(Object.isFrozen(plainPage('pmem0', 1000))).toBe(true);
    expect(plainPage('pmem0', 1000).refcount).toBe(1000);
  });

  it('copies a shared page before mut() hands it out in the chunk that stored it', () => {
    const t = new Txn(registered());
    t.plainRefcount(BASE + 3);
    t.storePlain(BASE + 3, 1);
    const p = t.mut(BASE + 3)!;
    expect(p).not.toBe(plainPage('pmem0', 1));
    expect(Object.isFrozen(p)).toBe(false);
    p.flags |= PG_head;
    p.refcount = 5;
    // a second mut() of the same page in the chunk is the chunk's own copy
    expect(t.mut(BASE + 3)).toBe(p);
    expect(plainPage('pmem0', 1)).toEqual(expect.objectContaining({ flags: PG_reserved, refcount: 1 }));
    const s = t.commit();
    expect(getPage(s, BASE + 3)).toEqual(expect.objectContaining({ flags: PG_reserved | PG_head, refcount: 5 }));
    expect(isPlain(getPage(s, BASE + 3)!)).toBe(false);
  });

  it('copies a shared page a published state holds before a later chunk writes it', () => {
    const t = new Txn(registered());
    t.plainRefcount(BASE + 4);
    t.storePlain(BASE + 4, 3);
    const s1 = t.commit();
    const t2 = new Txn(s1);
    const p = t2.mut(BASE + 4)!;
    p.refcount = 9;
    const s2 = t2.commit();
    expect(getPage(s1, BASE + 4)?.refcount).toBe(3);
    expect(getPage(s2, BASE + 4)?.refcount).toBe(9);
    expect(plainPage('pmem0', 3).refcount).toBe(3);
  });

  it('does not take a page with any other word changed as plain', () => {
    const t = new Txn(registered());
    const p = t.mut(BASE + 5)!;
    p.pincount = 1;
    expect(t.plainRefcount(BASE + 5)).toBeNaN();
    const m = t.mut(BASE + 7)!;
    m.mapping = 'file1';
    expect(t.plainRefcount(BASE + 7)).toBeNaN();
    const q = t.mut(BASE + 6)!;
    q.refcount = 4;
    expect(t.plainRefcount(BASE + 6)).toBe(4);
  });
});

describe('plain pages with a mapcount', () => {
  it('shares the page of each (count, mapcount) and keeps the mapcount when only the count changes', () => {
    const t = new Txn(registered());
    t.plainRefcount(BASE + 8);
    t.storePlain(BASE + 8, 2, 0);
    expect(t.plainRefcount(BASE + 8)).toBe(2);
    t.storePlain(BASE + 8, 3);
    const s = t.commit();
    expect(getPage(s, BASE + 8)).toBe(plainPage('pmem0', 3, 0));
    expect(getPage(s, BASE + 8)).toEqual(expect.objectContaining({ refcount: 3, mapcount: 0 }));
    // past the shared range: still frozen and plain
    expect(plainPage('pmem0', 1, 40)).toEqual(expect.objectContaining({ refcount: 1, mapcount: 40 }));
    expect(Object.isFrozen(plainPage('pmem0', 1, 40))).toBe(true);
  });

  it('folds n pte rmap events at once as the rmap rule folds them one by one', () => {
    const a = new Runner(undefined, { checkpointEvery: 0 }, registered());
    const b = new Runner(undefined, { checkpointEvery: 0 }, registered());
    const pfn = BASE + 9;
    expect(a.foldPlainMapcount(pfn, a.draft.plainRefcount(pfn), 2, 3, 5)).toBe(true);
    for (let i = 0; i < 3; i++) b.foldOnly({ seq: 5, type: 'add_rmap', pfn, page: pfn, nr: 1, level: 'pte' });
    expect([a.refEvents, a.state().events]).toEqual([b.refEvents, b.state().events]);
    expect(getPage(a.state(), pfn)).toEqual(getPage(b.state(), pfn));
    expect(getPage(a.state(), pfn)?.mapcount).toBe(2);
    // an underflow is the rule's to report: not folded here
    expect(a.foldPlainMapcount(pfn, a.draft.plainRefcount(pfn), -2, 4, 6)).toBe(false);
    expect(getPage(a.state(), pfn)?.mapcount).toBe(2);
  });
});

describe('plain pages in a trace replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-plain-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const line = (ts: string, body: string): string => `         daxwork-1     [000] .....     ${ts}: ${body}`;

  it('folds each event once, a set to a negative count and a head flag included, as the RefEvent path does', async () => {
    const path = join(dir, 'neg.txt');
    writeFileSync(path, [
      'KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w', '# pmem: 40000000-4fffffff : Persistent Memory (legacy);', '# tracer: nop', '#',
      line('1.000001', 'page_ref_set: pfn=0x40000 flags=reserved count=-1 mapcount=-1 mapping=00000000deadbeef mt=1 val=-1'),
      line('1.000002', 'page_ref_mod: pfn=0x40001 flags=reserved count=1 mapcount=-1 mapping=00000000deadbeef mt=1 val=1'),
      line('1.000003', 'page_ref_mod: pfn=0x40001 flags=reserved count=2 mapcount=-1 mapping=00000000deadbeef mt=1 val=1'),
      line('1.000004', 'page_ref_mod: pfn=0x40200 flags=reserved|head count=1 mapcount=-1 mapping=00000000deadbeef mt=1 val=1'),
      'KTRACE-END', '',
    ].join('\n'));
    const fast = await replayTraceFile(path, { checkpointEvery: 0 });
    const slow = await replayTraceFile(path, { checkpointEvery: 0, recordEvents: true, chunkSize: 1 });
    expect(snapshot(fast.state)).toEqual(snapshot(slow.state));
    expect([fast.inputs, fast.refEvents, fast.state.events]).toEqual([4, slow.refEvents, slow.state.events]);
    expect(getPage(fast.state, 0x40000)).toBe(plainPage('pmem0', -1));
    expect(getPage(fast.state, 0x40000)?.refcount).toBe(-1);
    expect(getPage(fast.state, 0x40001)).toBe(plainPage('pmem0', 2));
    expect(getPage(fast.state, 0x40200)?.flags).toBe(PG_reserved | PG_head);
  });
});
