/**
 * Lifting the sharing recordings (issue #7) and the 6.1 O_DIRECT (issue #8), checked by
 * hand against the traces.
 *
 * k72-ext4-daxshare: L208-229 copy_page_range ×11 of one dup_mmap() → fork; L250/264/274
 * the parent's and the child's faults of page 0 (two mms); L285 the child's
 * rmap_remove_ptes → munmap in the child's mm; L377 a private read fault of page 1,
 * L385-387 do_wp_page + anon_rmap_new + rmap_remove_ptes → cow at that address (not a
 * munmap); L411-416 io_pin_pages + a fast grab that fails + check_vma_flags -95 → one
 * long-term write pin of 2 pages. k612-ext4-daxshare: the same, with L345 do_wp_page →
 * cow, and L368-372 io_pin_pages + check_vma_flags -95 and no grab at all: the pin's
 * page comes from the address the fault mapped.
 *
 * k61-ext4-daxrace: L165 try_grab_folio(page) flags=0x5 (FOLL_GET|FOLL_WRITE, GUP-fast),
 * held until L175 __bio_release_pages, which traces no unpin (6.1.y folio_put_refs()):
 * dio.grab, then dio.release, the hole punch of L172 in between.
 */
import { describe, expect, it } from 'vitest';
import { liftNamed, liftText, traceText } from './fixtures.ts';

describe('lifting k72-ext4-daxshare (unified)', async () => {
  const t = await liftNamed('k72-ext4-daxshare.trace.txt');
  const other = t.ops.filter((op) => op.type !== 'dax.fault');

  it('lifts fork, the child\'s unmap, the copy-on-write, the refused long-term pin, munmap and truncate', () => {
    expect(other.map((op) => [op.type, op.line])).toEqual([
      ['pgmap.register', undefined], ['fork', 208], ['munmap', 285], ['fork', 292], ['munmap', 354], ['cow', 385], ['gup.pin', 411], ['munmap', 424], ['fs.truncate', 441],
    ]);
    // each child is the first new task named like the parent after its fork: its faults are in that mm
    expect(other.filter((op) => op.type === 'fork')).toEqual([
      { seq: 2, type: 'fork', line: 208, mm: 'mm:503', child: 'mm:504' },
      expect.objectContaining({ type: 'fork', line: 292, mm: 'mm:503', child: 'mm:505' }),
    ]);
    expect(other.find((op) => op.type === 'cow')).toMatchObject({ mm: 'mm:503', address: 0x7f2deffdd000 });
    expect(other.find((op) => op.type === 'gup.pin')).toMatchObject({ mm: 'mm:503', pfn: 0x48054, nr: 2, fast: true, longterm: true, write: true });
  });
  it('lifts the faults of two processes into two address spaces', () => {
    const page0 = t.ops.filter((op) => op.type === 'dax.fault' && op.pfn === 0x48050).map((op) => (op.type === 'dax.fault' ? op.mm : ''));
    expect(new Set(page0)).toEqual(new Set(['mm:503', 'mm:504', 'mm:505']));
  });
  it('sees forks and copy-on-writes (copy_page_range, do_wp_page probed)', () => {
    expect(t.observability.kinds.fork).toBe('full');
    expect(t.observability.kinds.cow).toBe('full');
  });
});

describe('lifting k612-ext4-daxshare (legacy)', async () => {
  const t = await liftNamed('k612-ext4-daxshare.trace.txt');
  it('finds the page of a long-term pin that GUP never grabbed from the address io_pin_pages() names', () => {
    expect(t.ops.find((op) => op.type === 'gup.pin')).toMatchObject({ line: 368, mm: 'mm:505', pfn: 0x48054, nr: 2, fast: true, longterm: true, write: true });
    expect(t.ops.filter((op) => op.type === 'cow')).toEqual([expect.objectContaining({ line: 345, mm: 'mm:505' })]);
  });
});

describe('lifting O_DIRECT on 6.1 (FOLL_GET, released by the bio without an unpin)', () => {
  it('k61-ext4-daxrace: dio.grab, the hole punch, dio.release', async () => {
    const t = await liftNamed('k61-ext4-daxrace.trace.txt');
    expect(t.ops.slice(5).map((op) => [op.type, op.line, 'pfn' in op ? op.pfn : null])).toEqual([['dio.grab', 165, 0x48052], ['fs.truncate', 172, null], ['dio.release', 175, 0x48052]]);
    expect(t.ops[5]).toMatchObject({ nr: 1, fast: true, write: true });
  });
  it('a page_ref build: the bio\'s folio_put_refs() shows as a page_ref decrement and names the page', async () => {
    // k61-ext4-daxrace with the page_ref events a CONFIG_DEBUG_PAGE_REF build adds at the grab and the release
    const lines = traceText('k61-ext4-daxrace.trace.txt').split('\n');
    lines.splice(175, 0, '          <idle>-0       [001] d.h2.    23.083530: page_ref_mod_and_test: pfn=0x48052 flags=reserved count=1 mapcount=0 mapping=00000000c0ffee00 mt=1 val=-1 ret=0');
    lines.splice(165, 0, '         daxrace-368     [001] d....    20.080900: page_ref_mod_unless: pfn=0x48052 flags=reserved count=2 mapcount=0 mapping=00000000c0ffee00 mt=1 val=1 ret=1');
    const t = await liftText(lines.join('\n'));
    const dio = t.ops.filter((op) => op.type === 'dio.grab' || op.type === 'dio.release');
    expect(dio.map((op) => [op.type, 'pfn' in op ? op.pfn : null])).toEqual([['dio.grab', 0x48052], ['dio.release', 0x48052]]);
    const release = t.items.find((i) => i.kind === 'op' && i.op.type === 'dio.release');
    expect(release).toMatchObject({ records: [expect.objectContaining({ line: 176 }), expect.objectContaining({ kind: 'page_ref', val: -1 })] });
  });
});
