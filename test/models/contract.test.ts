/**
 * The shared contract (after RTK's behavesLikeReducer): what every model must do,
 * run against every profile of both families.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { PGMAP_TYPES, type Op, type PgmapType } from '../../src/events/op.ts';
import { modelFor, PROFILE_SPANS } from '../../src/models/index.ts';
import { runOps } from '../../src/engine/runner.ts';
import { compoundHead, folioNrPages, getPage, pagePgmap, source } from '../../src/state/accessors.ts';
import { findRange } from '../../src/state/sim-state.ts';

const PROFILES = PROFILE_SPANS.map((s) => `${s.family}@${s.newest}`);
const register = (type: PgmapType, shift = 0): Op => ({ seq: 1, type: 'pgmap.register', pgmap: 'pg0', pgmapType: type, pfn: 0x200000, nr: 0x40000, vmemmapShift: shift });

describe.each(PROFILES)('%s behaves like a refcount model', (name) => {
  const model = modelFor(name);

  it.each(PGMAP_TYPES)('registers %s pages at its idle refcount', (type) => {
    const { state } = runOps(model, [register(type)]);
    expect(getPage(state, 0x200123)!.refcount).toBe(model.idleRefcount(type));
  });

  test.prop([fc.constantFrom<PgmapType>('fsdax', 'generic', 'p2pdma'), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.integer({ min: 0, max: 600 })], { numRuns: 40, seed: 7 })(
    'a balanced get/put returns a page to the idle value of its type',
    (type, n, fast, off) => {
      const pfn = 0x200000 + off;
      const vma = { start: 0x7f0000000000, end: 0x7f0000400000, shared: true, file: 'F', pgoff: 0 };
      const ops: Op[] = [register(type, type === 'generic' ? 9 : 0)];
      // A get needs the page mapped (GUP walks the page table). A 2 MiB-aligned device-dax
      // instance maps only PMDs (__dev_dax_pte_fault() is SIGBUS below its alignment).
      const huge = type === 'generic' ? off - (off % 512) : off;
      ops.push({ seq: 2, type: 'dax.fault', mm: 'A', vma, address: vma.start + huge * 4096, file: 'F', pgoff: huge, pfn: 0x200000 + huge, level: type === 'generic' ? 'pmd' : 'pte', write: false, vmaShared: true, reflink: false });
      for (let i = 0; i < n; i++) ops.push({ seq: ops.length + 1, type: 'gup.get', mm: 'A', pfn, nr: 1, fast });
      for (let i = 0; i < n; i++) ops.push({ seq: ops.length + 1, type: 'put', pfn, nr: 1 });
      ops.push({ seq: ops.length + 1, type: 'munmap', mm: 'A', start: vma.start, end: vma.end });
      if (type === 'fsdax') ops.push({ seq: ops.length + 1, type: 'fs.truncate', file: 'F', start: 0 });
      const { state, findings } = runOps(model, ops);
      const head = compoundHead(source(state), pfn);
      expect(getPage(state, head)!.refcount).toBe(model.idleRefcount(type));
      expect(findings).toEqual([]);
    },
  );

  test.prop([fc.integer({ min: 0, max: 0x3ffff })], { numRuns: 60, seed: 11 })('every page of a device-dax folio resolves to one pgmap, inside the pgmap range', (off) => {
    const { state } = runOps(model, [register('generic', 18)]);
    const src = source(state);
    const pfn = 0x200000 + off;
    const head = compoundHead(src, pfn);
    expect(pagePgmap(src, pfn)).toBe(pagePgmap(src, head));
    expect(pagePgmap(src, pfn)).toBe('pg0');
    const range = findRange(state.ranges, head)!;
    expect(head).toBeGreaterThanOrEqual(range.pfn);
    expect(head + folioNrPages(src, head)).toBeLessThanOrEqual(range.pfn + range.nr);
  });

  it('every page of an FS DAX PMD folio resolves to one pgmap, inside the range', () => {
    const vma = { start: 0x7f0000000000, end: 0x7f0000400000, shared: true, file: 'F', pgoff: 0 };
    const { state, findings } = runOps(model, [
      register('fsdax'),
      { seq: 2, type: 'dax.fault', mm: 'A', vma, address: vma.start, file: 'F', pgoff: 0, pfn: 0x200200, level: 'pmd', write: false, vmaShared: true, reflink: false },
    ]);
    const src = source(state);
    for (const i of [0, 1, 2, 3, 100, 511]) expect(pagePgmap(src, 0x200200 + i)).toBe('pg0');
    expect(findings).toEqual([]);
  });

  it('refuses a folio that would cross the pgmap range', () => {
    const { state, findings } = runOps(model, [{ seq: 1, type: 'pgmap.register', pgmap: 'pg0', pgmapType: 'generic', pfn: 0x200000, nr: 0x40100, vmemmapShift: 18 }]);
    expect(findings.map((f) => [f.code, f.function])).toEqual([['folio-crosses-pgmap', 'memmap_init_zone_device']]);
    expect(state.ranges).toEqual([]);
  });
});
