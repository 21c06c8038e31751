/**
 * Lifting the unified (7.2) recordings: pfns from struct page / folio pointers
 * (vmf_insert_page_mkwrite(), vmf_insert_folio_pmd()), slow GUP on a PMD folio naming
 * its head twice, a layout break whose file is found through the folios it unmaps, a
 * munmap from zap_huge_pmd(); and the same Op stream from the trace-cmd renderings
 * (another boot, so other pids and pointers, the same kernel operations).
 */
import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/events/op.ts';
import { liftNamed } from './fixtures.ts';

/** What two boots of one workload share: kinds, pfns, sizes, levels, files and ranges. */
function shape(op: Op): unknown {
  switch (op.type) {
    case 'dax.fault':
      return [op.type, op.pfn, op.level, op.write, op.pgoff, op.file];
    case 'dax.hole_read':
      return [op.type, op.pgoff, op.file];
    case 'gup.get':
      return [op.type, op.pfn, op.nr, op.fast];
    case 'gup.pin':
      return [op.type, op.pfn, op.nr, op.fast, op.longterm];
    case 'put': case 'unpin':
      return [op.type, op.pfn, op.nr];
    case 'munmap':
      return [op.type, op.end - op.start];
    case 'fs.truncate': case 'fs.break_layout': case 'fs.evict':
      return [op.type, op.file, op.start, op.end];
    default:
      return [op.type];
  }
}

describe('lifting k72-ext4-daxwork (unified, stock)', async () => {
  const t = await liftNamed('k72-ext4-daxwork.trace.txt');

  it('takes the PMD fault pfn from vmf_insert_folio_pmd() and the PTE fault pfn from vmf_insert_page_mkwrite()', () => {
    expect(t.ops[2]).toMatchObject({ type: 'dax.fault', line: 153, pfn: 0x48600, level: 'pmd', pgoff: 0x200 });
    expect(t.ops[5]).toMatchObject({ type: 'dax.fault', line: 174, pfn: 0x48050, level: 'pte', write: true });
  });

  it('lifts slow GUP on the PMD folio (try_grab_folio on the head, refs=1 twice) as one pin of 2 pages', () => {
    expect(t.ops[11]).toEqual({ seq: 12, type: 'gup.pin', line: 217, mm: 'mm:390', pfn: 0x48600, nr: 2, fast: false, longterm: false });
    expect(t.ops[12]).toEqual({ seq: 13, type: 'unpin', line: 219, pfn: 0x48600, nr: 2 });
  });

  it('lifts the bio release of O_DIRECT (unpin_user_folio(), gup_put_folio inlined in this build) as dio.release of npages', () => {
    expect(t.ops.slice(17, 19)).toEqual([
      { seq: 18, type: 'dio.release', line: 238, pfn: 0x48054, nr: 1 },
      { seq: 19, type: 'dio.release', line: 239, pfn: 0x48055, nr: 1 },
    ]);
    expect(t.ops[14]).toMatchObject({ type: 'dio.grab', line: 229, pfn: 0x48054, nr: 1, fast: false, write: true });
  });

  it('resolves the punched file through the folios the break unmaps, and keeps its range to EOF', () => {
    expect(t.ops[21]).toEqual({ seq: 22, type: 'fs.truncate', line: 252, file: '259:0/0xd', start: 0, fs: 'ext4' });
    // the child's last put, seen only as __folio_put at 0 in a stock unified trace
    expect(t.ops[22]).toEqual({ seq: 23, type: 'put', line: 277, pfn: 0x48058, nr: 1, via: 'put_page' });
    // the punching task's next Op: its wait is over by then (Op.endsWait)
    expect(t.ops[23]).toEqual({ seq: 24, type: 'munmap', line: 303, mm: 'mm:390', start: 0x7f989de00000, end: 0x7f989e200000, endsWait: 22 });
  });

  it('states that a stock unified probe set sees a put only when it frees the folio', () => {
    expect(t.observability.kinds.put).toBe('partial');
    expect(t.observability.kinds['munmap:pte']).toBe('full');
  });
});

describe('the trace-cmd renderings of k72dbg-ext4-daxwork', async () => {
  const raw = await liftNamed('k72dbg-ext4-daxwork.trace.txt');
  const cmd = await liftNamed('k72dbg-ext4-daxwork.tracecmd.txt');
  const cmdT = await liftNamed('k72dbg-ext4-daxwork.tracecmd-t.txt');

  it('lift to the same kernel operations as the raw tracefs run', () => {
    expect(raw.ops).toHaveLength(26);
    expect(cmd.ops.map(shape)).toEqual(raw.ops.map(shape));
    expect(cmdT.ops.map(shape)).toEqual(raw.ops.map(shape));
  });

  it('read the hex fault flags (`0x1255`) as the raw names, and the `OOM` of a zero result as no result', () => {
    const writes = (ops: readonly Op[]) => ops.filter((o) => o.type === 'dax.fault').map((o) => o.type === 'dax.fault' && o.write);
    expect(writes(cmd.ops)).toEqual(writes(raw.ops));
  });

  it('see every refcount change (page_ref), so puts are in full view', () => {
    expect(cmd.observability.kinds.put).toBe('full');
    expect(cmd.phaseList.map((p) => p.word)).toEqual(raw.phaseList.map((p) => p.word));
  });
});
