/**
 * O_DIRECT as the kernels do it (issue #8): dio.grab / dio.release expand per version.
 * 6.1.y takes a FOLL_GET reference and __bio_release_pages() drops it with
 * folio_put_refs(), past the legacy devmap hook (events/traces/k61-ext4-daxrace.trace.txt
 * :165 and :175): a hole punch waiting for refcount 1 is never woken. 6.12+ pin and
 * unpin, and the unpin wakes (k612/k72/k73-ext4-daxrace).
 *
 *   refcount   6.1: 1 ─grab→ 2 ─punch waits for 1─ release (folio_put_refs) → 1, no wake
 *             6.12: 1 ─grab→ 1025 ─punch waits─ release (unpin_user_folio → hook) → 1, wake
 *              7.3: 1 ─grab→ 1025 ─punch unmaps → 1024, waits for 0─ release → 0, free, wake
 */
import { describe, expect, it } from 'vitest';
import type { Op, VmaRef } from '../../src/events/op.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';
import { runOps } from '../../src/engine/runner.ts';
import { modelFor, resolveProfile } from '../../src/models/index.ts';
import { getPage } from '../../src/state/accessors.ts';
import { diffOps } from '../../src/diff/diff-runs.ts';

const vma: VmaRef = { start: 0x7f0000000000, end: 0x7f0000004000, shared: true, file: 'F', pgoff: 0 };
const ops: Op[] = [
  { seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 },
  { seq: 2, type: 'dax.fault', mm: 'A', vma, address: vma.start + 0x2000, file: 'F', pgoff: 2, pfn: 0x48052, level: 'pte', write: true, vmaShared: true, reflink: false },
  { seq: 3, type: 'dio.grab', mm: 'A', pfn: 0x48052, nr: 1, fast: true, write: true },
  { seq: 4, type: 'fs.truncate', file: 'F', start: 2, end: 2, fs: 'ext4' },
  { seq: 5, type: 'dio.release', pfn: 0x48052, nr: 1 },
];
const enters = (events: readonly RefEvent[]): string[] => events.flatMap((e) => (e.type === 'enter' ? [e.fn] : []));
const refcountAfter = (profile: string, n: number): number => getPage(runOps(modelFor(profile), ops.slice(0, n)).state, 0x48052)!.refcount;

describe('the O_DIRECT path of each version', () => {
  it.each([
    ['6.1.0-56-amd64', 'get', 'folio_put_refs'],
    ['6.2', 'get', 'put_page'],
    ['6.4', 'pin', 'unpin_user_page'],
    ['6.12', 'pin', 'unpin_user_folio'],
    ['7.3.4+deb13-amd64', 'pin', 'unpin_user_folio'],
  ] as const)('%s: %s, released by %s', (kernel, grab, release) => {
    expect(resolveProfile(undefined, { kernel }).dio).toMatchObject({ grab, release });
  });
});

describe('dio.grab / dio.release under the recorded kernels', () => {
  it('legacy@6.1: FOLL_GET 1 → 2 through GUP-fast try_grab_folio(page); the release misses the wakeup', () => {
    expect(refcountAfter('legacy@6.1', 3)).toBe(2);
    const { events, findings, state } = runOps(modelFor('legacy@6.1'), ops);
    const fns = enters(events.filter((e) => e.op === 3));
    expect(fns).toEqual(expect.arrayContaining(['bio_iov_iter_get_pages', 'get_user_pages_fast', 'internal_get_user_pages_fast', 'try_grab_folio']));
    const release = enters(events.filter((e) => e.op === 5));
    expect(release).toEqual(['__bio_release_pages', 'folio_put_refs']);
    expect(findings).toEqual([expect.objectContaining({ code: 'missed-wakeup', seq: 5, pfn: 0x48052, function: 'folio_put_refs' })]);
    expect(findings[0]!.message).toContain('but folio_put_refs() from __bio_release_pages() does not call wake_up_var(), so that waiter is not woken');
    expect(state.world.waiters.map((w) => w.pfn)).toEqual([0x48052]);
    expect(getPage(state, 0x48052)!.refcount).toBe(1);
  });
  it('legacy@6.2: FOLL_GET released by put_page(): the devmap hook wakes the punch', () => {
    const { findings, state } = runOps(modelFor('legacy@6.2'), ops);
    expect(findings).toEqual([]);
    expect(state.world.waiters).toEqual([]);
  });
  it('legacy@6.12: FOLL_PIN 1 → 1025, unpin_user_folio() → gup_put_folio() → the hook wakes at 1', () => {
    expect(refcountAfter('legacy@6.12', 3)).toBe(1025);
    const { events, findings, state } = runOps(modelFor('legacy@6.12'), ops);
    // then the woken punch goes on in the same Op (its rescan and deletion)
    expect(enters(events.filter((e) => e.op === 5)).slice(0, 5)).toEqual(['__bio_release_pages', 'unpin_user_folio', 'gup_put_folio', '__put_devmap_managed_folio_refs', 'wake_up_var']);
    expect(findings).toEqual([]);
    expect(state.world.waiters).toEqual([]);
  });
  it('unified@7.3: FOLL_PIN; the punch unmaps (1024) and waits for 0; the release frees and wakes', () => {
    const { events, findings, state } = runOps(modelFor('unified@7.3'), ops);
    expect(enters(events.filter((e) => e.op === 5))).toEqual(expect.arrayContaining(['__bio_release_pages', 'unpin_user_folio', 'gup_put_folio', 'folio_put_refs', '__folio_put', 'free_zone_device_folio', 'wake_up_var']));
    expect(findings).toEqual([]);
    expect(state.world.waiters).toEqual([]);
    expect(getPage(state, 0x48052)).toMatchObject({ refcount: 0, mapping: null });
  });
  it('the legacy put Op `via: bio_release` (the JSONL form before dio.release) still means folio_put_refs', () => {
    const old: Op[] = [...ops.slice(0, 2), { seq: 3, type: 'gup.get', mm: 'A', pfn: 0x48052, nr: 1, fast: true }, ops[3]!, { seq: 5, type: 'put', pfn: 0x48052, nr: 1, via: 'bio_release' }];
    expect(runOps(modelFor('legacy@6.14'), old).findings.map((f) => f.code)).toEqual(['missed-wakeup']);
  });
});

describe('diff of the lost wakeup', () => {
  it('legacy@6.1 against unified@7.3 on the dio Ops: a wake divergence at the release, the finding on 6.1 only', () => {
    const r = diffOps(modelFor('legacy@6.1'), modelFor('unified@7.3'), ops, { semantic: true });
    const atRelease = r.divergences.filter((d) => d.seq === 5).map((d) => [d.class, d.field, d.a, d.b]);
    expect(atRelease).toEqual(expect.arrayContaining([['wake', 'wake', false, true], ['finding', 'findings', ['missed-wakeup'], []]]));
  });
});
