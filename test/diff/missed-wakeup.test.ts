/**
 * The missed wakeup of k61-ext4-daxrace as an Op stream (docs/findings.md): the legacy
 * bio release through folio_put_refs brings the page back to 1 without waking the
 * hole punch; unified frees and wakes. diff shows it as a `wake` divergence.
 */
import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/events/op.ts';
import { modelFor } from '../../src/models/index.ts';
import { runOps } from '../../src/engine/runner.ts';
import { diffOps } from '../../src/diff/diff-runs.ts';

const vma = { start: 0x7f0000000000, end: 0x7f0000010000, shared: true, file: 'F', pgoff: 0 };
const ops: Op[] = [
  { seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 },
  { seq: 2, type: 'dax.fault', mm: 'A', vma, address: vma.start + 0x2000, file: 'F', pgoff: 2, pfn: 0x48052, level: 'pte', write: true, vmaShared: true, reflink: false },
  { seq: 3, type: 'gup.get', mm: 'A', pfn: 0x48052, nr: 1, fast: true },
  { seq: 4, type: 'fs.truncate', file: 'F', start: 2, end: 2 },
  { seq: 5, type: 'put', pfn: 0x48052, nr: 1, via: 'bio_release' },
];

describe('missed-wakeup (6.1 O_DIRECT bio release)', () => {
  it.each(['legacy@6.1', 'legacy@6.12', 'legacy@6.14'])('%s reports it at the bio release, in folio_put_refs, naming the waiter', (p) => {
    const { findings, state } = runOps(modelFor(p), ops);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'missed-wakeup', severity: 'error', seq: 5, pfn: 0x48052, function: 'folio_put_refs' });
    expect(findings[0]!.message).toBe('the O_DIRECT completion brings page 0x48052 to refcount 1, the value the hole punch of F (Op #4) waits for in ext4_break_layouts, but folio_put_refs() from __bio_release_pages() does not call wake_up_var(), so that waiter is not woken');
    expect(state.world.waiters).toHaveLength(1);
  });
  it('unified frees the folio and wakes the truncate: no finding', () => {
    const { findings, state } = runOps(modelFor('unified'), ops);
    expect(findings).toEqual([]);
    expect(state.world.waiters).toEqual([]);
  });
  it('diff shows a wake divergence at the bio release and the finding in legacy only', () => {
    const r = diffOps(modelFor('legacy@6.1'), modelFor('unified@7.3'), ops, { semantic: true });
    expect(r.models).toEqual(['legacy@6.1', 'unified@7.3']);
    expect(r.divergences.filter((d) => d.seq === 5).map((d) => [d.class, d.field, d.a, d.b])).toEqual([
      ['busy', 'waiting', true, false],
      ['association', 'mapping', 'F', null],
      ['wake', 'wake', false, true],
      ['finding', 'findings', ['missed-wakeup'], []],
    ]);
  });
});
