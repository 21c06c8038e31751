/**
 * A finding that rests on what the trace cannot show is unknown, not asserted (issue
 * #12 item 5): legacy dax_associate_entry() warns on a page already associated only
 * when the extent is unshared, and the lifter takes every extent as unshared. A second
 * file faulting the same block (an xfs reflink) raises associate-mapped-page in the
 * model; check keeps it only when the header names ext4, which has no shared extents.
 */
import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/events/op.ts';
import { createModel, resolveProfile } from '../../src/models/index.ts';
import { Checker } from '../../src/check/checker.ts';
import { CheckContext, reportOf } from '../../src/check/pipeline.ts';
import { emptyHeader } from '../../src/trace/header.ts';

const vma = (file: string) => ({ start: 0x7f0000000000, end: 0x7f0000010000, shared: true, file, pgoff: 0 });
const ops: Op[] = [
  { seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 },
  { seq: 2, type: 'dax.fault', line: 10, mm: 'A', vma: vma('F'), address: 0x7f0000000000, file: 'F', pgoff: 0, pfn: 0x48052, level: 'pte', write: false, vmaShared: true, reflink: false },
  { seq: 3, type: 'dax.fault', line: 20, mm: 'B', vma: vma('G'), address: 0x7f0000000000, file: 'G', pgoff: 0, pfn: 0x48052, level: 'pte', write: false, vmaShared: true, reflink: false },
];

function report(fs: string | null) {
  const ctx = new CheckContext();
  const model = createModel(resolveProfile('legacy@6.12'));
  ctx.model = model;
  ctx.mode = 'ops';
  ctx.checker = new Checker(model, { vmemmapBase: 0xffffea0000000000n });
  for (const op of ops) ctx.checker.onItem({ kind: 'op', op, records: [] });
  ctx.checker.finish();
  return reportOf(ctx, { ...emptyHeader('tracefs'), fs }, {});
}

describe('sharing-dependent findings', () => {
  it('the model raises associate-mapped-page when a second file maps the block', () => {
    expect(report('ext4').findings.map((f) => f.code)).toEqual(['associate-mapped-page']);
  });
  it.each(['xfs', null])('fs=%s: it is unknown, with the reason, not a finding', (fs) => {
    const o = report(fs);
    expect(o.findings).toEqual([]);
    expect(o.unknowns.map((u) => [u.field, u.line, u.pfn])).toEqual([['finding associate-mapped-page', 20, '0x48052']]);
    expect(o.unknowns[0]?.reason).toContain('whether this extent is shared (a reflink, FICLONE) no event of the trace shows');
  });
});
