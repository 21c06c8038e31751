/**
 * The device-dax step sequence of the vmtest workload (vmtest/workloads/devdax.c), on a
 * 1 GiB-aligned instance (one order-18 folio, PUD faults) and a 2 MiB-aligned one
 * (order-9 folios, PMD faults), under the three recorded kernel families. Every count
 * is what the recordings showed at the snap after the same step (vmtest stock 6.1,
 * 6.12 and 7.3, devdax-1G-devdax.trace.txt / devdax-2M-devdax.trace.txt):
 *
 *   idle                  head refcount 1 in both families (MEMORY_DEVICE_GENERIC)
 *   read fault            legacy: devmap entry, no reference, no mapcount (r=1 e=-1);
 *                         unified: vmf_insert_folio_pud/pmd() folio_get + rmap (r=2 e=0)
 *   a second mapping of   unified: its own reference and entire mapcount (r=3 e=1, 7.3
 *   the folio, same mm    devdax-1G:296-297 ref=2→3, entire 0→1); munmap of it gives them back
 *   vmsplice get          +1 on the head; put_page() of the pipe gives it back
 *   pin (process_vm_*)    +1 on the head and +1 _pincount (large folio: no bias)
 *   O_DIRECT of 2 pages   6.1: FOLL_GET, +2, no pincount; 6.12/7.3: FOLL_PIN, +2, _pincount 2
 *   io_uring (longterm)   +2 and _pincount 2, dropped by the unpin
 *   munmap                unified: back to idle 1, entire mapcount gone
 */
import { describe, expect, it } from 'vitest';
import type { Level, Op } from '../../src/events/op.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';
import { PAGE_SIZE } from '../../src/kernel/constants.ts';
import { folio, runSteps, type Step } from '../fixtures/corpus.ts';

type OpInit = Op extends infer O ? (O extends Op ? Omit<O, 'seq'> : never) : never;

interface Geometry {
  readonly name: string;
  readonly head: number;
  readonly order: 18 | 9;
  readonly nr: number;
}
const G1: Geometry = { name: '1G', head: 0x140000, order: 18, nr: 0x40000 };
const G2: Geometry = { name: '2M', head: 0x1a0a00, order: 9, nr: 0x1f600 };

const A1 = 0x7f74c0000000;
const A2 = 0x7f7440000000;

/** The workload's steps as Ops; `at[i]` names step i. */
function sequence(g: Geometry): { ops: Op[]; at: Record<string, number> } {
  const level: Level = g.order === 18 ? 'pud' : 'pmd';
  const size = 2 ** g.order * PAGE_SIZE;
  const tail = g.head + 2 ** g.order - 16;
  const vma = (start: number) => ({ start, end: start + size, shared: true, file: 'dax2.0', pgoff: 0 });
  const fault = (address: number): OpInit => ({ type: 'dax.fault', mm: 'A', vma: vma(address), address, file: 'dax2.0', pgoff: 0, pfn: g.head, level, write: false, vmaShared: true, reflink: false });
  const steps: [string, OpInit][] = [
    ['fsdax', { type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 }],
    ['register', { type: 'pgmap.register', pgmap: 'dax2.0', pgmapType: 'generic', pfn: g.head, nr: g.nr, vmemmapShift: g.order }],
    ['read_fault', fault(A1)],
    ['vmsplice', { type: 'gup.get', mm: 'A', pfn: tail, nr: 1, fast: true }],
    ['pipe_drain', { type: 'put', pfn: g.head, nr: 1, via: 'put_page' }],
    ['pin', { type: 'gup.pin', mm: 'A', pfn: tail + 1, nr: 1, fast: false, longterm: false }],
    ['unpin', { type: 'unpin', pfn: tail + 1, nr: 1 }],
    ['second_fault', fault(A2)],
    ['second_pin', { type: 'gup.pin', mm: 'A', pfn: tail, nr: 1, fast: false, longterm: false }],
    ['second_unpin', { type: 'unpin', pfn: tail, nr: 1 }],
    ['munmap_second', { type: 'munmap', mm: 'A', start: A2, end: A2 + size }],
    ['dio_grab', { type: 'dio.grab', mm: 'A', pfn: tail + 4, nr: 2, fast: true, write: true }],
    ['dio_release', { type: 'dio.release', pfn: g.head, nr: 2 }],
    ['iouring_pin', { type: 'gup.pin', mm: 'A', pfn: tail + 8, nr: 2, fast: true, longterm: true, write: true }],
    ['iouring_unpin', { type: 'unpin', pfn: tail + 8, nr: 2 }],
    ['munmap', { type: 'munmap', mm: 'A', start: A1, end: A1 + size }],
  ];
  const at: Record<string, number> = {};
  steps.forEach(([name], i) => (at[name] = i));
  return { ops: steps.map(([, op], i) => ({ ...op, seq: i + 1 })), at };
}

/** Calls of a function in one step's events. */
function entered(step: Step, fn: string): RefEvent[] {
  return step.events.filter((e) => e.type === 'enter' && e.fn === fn);
}

describe.each([G1, G2])('device-dax $name', (g) => {
  const { ops, at } = sequence(g);

  describe.each([
    ['legacy@6.1', 'legacy', 'FOLL_GET'],
    ['legacy@6.12', 'legacy', 'FOLL_PIN'],
    ['unified@7.3', 'unified', 'FOLL_PIN'],
  ] as const)('under %s', (profile, family, dio) => {
    const steps = runSteps(profile, ops);
    const s = (name: string) => folio(steps[at[name]!]!.state, g.head);
    const mapped = family === 'unified' ? 1 : 0;

    it(`idles at refcount 1, order ${g.order}, nothing mapped or pinned`, () => {
      expect(s('register')).toMatchObject({ head: g.head, order: g.order, refcount: 1, mapcount: 0, entire: 0, pincount: 0 });
    });

    it(family === 'unified' ? 'a fault takes a reference and the entire mapcount' : 'a fault maps a devmap entry: no reference, no mapcount', () => {
      expect(s('read_fault')).toMatchObject({ refcount: 1 + mapped, mapcount: mapped, entire: mapped, pincount: 0 });
    });

    it('a vmsplice get adds 1 to the head; the pipe drain gives it back', () => {
      expect(s('vmsplice')).toMatchObject({ refcount: 2 + mapped, pincount: 0 });
      expect(s('pipe_drain')).toMatchObject({ refcount: 1 + mapped, pincount: 0 });
    });

    it('a pin through a tail adds 1 to the head and 1 to _pincount; the unpin takes both back', () => {
      expect(s('pin')).toMatchObject({ refcount: 2 + mapped, pincount: 1, pinned: true });
      expect(s('unpin')).toMatchObject({ refcount: 1 + mapped, pincount: 0, pinned: false });
    });

    it(family === 'unified' ? 'a second mapping in the same mm holds its own reference and mapcount until its munmap' : 'a second mapping changes no count', () => {
      expect(s('second_fault')).toMatchObject({ refcount: 1 + 2 * mapped, mapcount: 2 * mapped, entire: 2 * mapped });
      expect(s('second_pin')).toMatchObject({ refcount: 2 + 2 * mapped, pincount: 1 });
      expect(s('second_unpin')).toMatchObject({ refcount: 1 + 2 * mapped, pincount: 0 });
      expect(s('munmap_second')).toMatchObject({ refcount: 1 + mapped, mapcount: mapped, entire: mapped });
    });

    it(`O_DIRECT of 2 pages takes them with ${dio}`, () => {
      expect(s('dio_grab')).toMatchObject({ refcount: 3 + mapped, pincount: dio === 'FOLL_PIN' ? 2 : 0 });
      expect(s('dio_release')).toMatchObject({ refcount: 1 + mapped, pincount: 0 });
    });

    it('a long-term pin of 2 pages (io_uring) adds 2 and _pincount 2; the unpin drops both', () => {
      expect(s('iouring_pin')).toMatchObject({ refcount: 3 + mapped, pincount: 2 });
      expect(s('iouring_unpin')).toMatchObject({ refcount: 1 + mapped, pincount: 0 });
    });

    it('munmap leaves the idle 1 and no mapcount; no finding on the way', () => {
      expect(s('munmap')).toMatchObject({ refcount: 1, mapcount: 0, entire: 0, pincount: 0 });
      expect(steps.flatMap((x) => x.findings)).toEqual([]);
    });

    if (family === 'legacy') {
      it('a put enters the devmap hook while an FS_DAX pgmap is registered; it returns 0 for device-dax and wakes nobody', () => {
        const hook = profile === 'legacy@6.1' ? '__put_devmap_managed_page_refs' : '__put_devmap_managed_folio_refs';
        for (const name of ['pipe_drain', 'unpin', 'iouring_unpin']) {
          const step = steps[at[name]!]!;
          expect(entered(step, hook), name).toHaveLength(1);
          expect(step.events.filter((e) => e.type === 'exit' && e.fn === hook).map((e) => ('ret' in e ? e.ret : undefined)), name).toEqual([0]);
          expect(entered(step, 'wake_up_var'), name).toHaveLength(0);
        }
      });

      it('without an FS_DAX pgmap devmap_managed_key is off: no hook', () => {
        const alone = runSteps(profile, ops.filter((o) => !(o.type === 'pgmap.register' && o.pgmapType === 'fsdax')));
        const unpin = alone[at['unpin']! - 1]!;
        expect(entered(unpin, profile === 'legacy@6.1' ? '__put_devmap_managed_page_refs' : '__put_devmap_managed_folio_refs')).toHaveLength(0);
        expect(folio(unpin.state, g.head)).toMatchObject({ refcount: 1, pincount: 0 });
      });
    }
  });
});
