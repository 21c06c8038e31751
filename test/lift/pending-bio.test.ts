/**
 * Which FOLL_GET grabs a 6.1 bio release with no unpin probe drops (pending.ts
 * takeBioGets): the request's direction from mark_dirty or its newest grab, and only
 * the grabs made since the previous bio release while any of them is outstanding.
 * The vmtest 6.1 ext4-fsdax-dio recording forced the direction rule (its :464
 * mark_dirty=0 release of the flags=0x4 grabs of an O_DIRECT write).
 */
import { describe, expect, it } from 'vitest';
import { PendingGrabs, resolvedOp } from '../../src/lift/pending.ts';

const get = (pfn: number, nr: number, write: boolean) => ({ type: 'gup.get' as const, pfn, nr, fast: true, ...(write ? { write: true } : {}) });

describe('PendingGrabs.takeBioGets', () => {
  it('mark_dirty=1 (an O_DIRECT read) takes the FOLL_WRITE grabs', () => {
    const p = new PendingGrabs();
    p.hold(get(0x100, 2, true), []);
    p.hold(get(0x200, 1, false), []);
    expect(p.takeBioGets([], true).map((g) => g.op.pfn)).toEqual([0x100]);
  });

  it('mark_dirty=0 after an O_DIRECT write takes its grabs without FOLL_WRITE, not an older read grab', () => {
    const p = new PendingGrabs();
    p.hold(get(0x100, 2, true), []);
    p.hold(get(0x48480, 16, false), []);
    const taken = p.takeBioGets([], false);
    expect(taken.map((g) => [g.op.pfn, g.op.nr, resolvedOp(g).type])).toEqual([[0x48480, 16, 'dio.grab']]);
    // the read grab is still outstanding: a later mark_dirty=1 release takes it
    expect(p.takeBioGets([], true).map((g) => g.op.pfn)).toEqual([0x100]);
  });

  it('mark_dirty=0 after an O_DIRECT read (bio_check_pages_dirty) takes the FOLL_WRITE grabs', () => {
    const p = new PendingGrabs();
    p.hold(get(0x48400, 512, true), []);
    expect(p.takeBioGets([], false).map((g) => g.op.pfn)).toEqual([0x48400]);
  });

  it('leaves a grab from before the previous bio release out while the new request has grabs of its direction', () => {
    const p = new PendingGrabs();
    const stale = p.hold(get(0x300, 1, false), []);
    p.hold(get(0x400, 2, true), []);
    expect(p.takeBioGets([], true).map((g) => g.op.pfn)).toEqual([0x400]);
    p.hold(get(0x500, 2, false), []);
    expect(p.takeBioGets([], false).map((g) => g.op.pfn)).toEqual([0x500]);
    expect(stale.outstanding).toBe(1);
    // with no newer grab of the direction, the older one is the request's
    expect(p.takeBioGets([], false).map((g) => g.op.pfn)).toEqual([0x300]);
  });

  it('a page_ref build names the pages: those grabs, whatever their direction', () => {
    const p = new PendingGrabs();
    p.hold(get(0x100, 1, true), []);
    p.hold(get(0x200, 1, false), []);
    expect(p.takeBioGets([0x100], false).map((g) => g.op.pfn)).toEqual([0x100]);
  });
});
