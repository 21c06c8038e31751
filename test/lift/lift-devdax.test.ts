/**
 * Lifting the device-dax recordings (issue #7), checked by hand against the traces:
 *
 *   k612-devdax-devdaxwork (legacy)              k72-devdax-devdaxwork (unified)
 *   L183 dev_dax_huge_fault order=18             L207 dev_dax_huge_fault order=18
 *   L184 vmf_insert_pfn_pud pfn_t 0x140000       L208 vmf_insert_folio_pud, L210 rmap_add_pud
 *     → PUD fault of the order-18 folio (no fs_dax event, no address: placed at 2^52 + phys)
 *   L193-198 check_vma_flags, get_dev_pagemap     L218-222 check_vma_flags, try_grab_folio(head)
 *     (pfn 0x17c000), try_grab_folio(head)          → pin of 1 page (process_vm_readv: slow)
 *   L199 unpin_user_pages page0=0x17c000         L223 unpin_user_pages page0=0x17c000 → unpin
 *   L203-207 gup_fast_devmap_leaf pfn 0x144000   L227-228 try_grab_folio_fast page 0x144000
 *     → get of 1 page through GUP-fast (vmsplice)
 *   L212-220 io_pin_pages(len 8192), no fast      L233-242 io_pin_pages, fast grab of 2 given
 *     grab, check_vma_flags, get_dev_pagemap,      back (gup_put_folio, same flags), check_vma_flags,
 *     two slow grabs                               two slow grabs
 *     → one long-term write pin of 2 pages from 0x144000
 *   L221 unpin_user_pages page0=0x144001         L243 unpin_user_folio npages=1 → unpin of 1
 *   L226 unpin_user_folio                        L247 unpin_user_folio          → unpin of 1 (unregister)
 *   L234 zap_huge_pud pudval → pfn 0x140000      L254 zap_huge_pud, L255 rmap_remove_pud
 *     → munmap of the PUD, at the address its fault was placed at
 */
import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/events/op.ts';
import { DEVICE_VA_BASE } from '../../src/lift/devdax-fault-builder.ts';
import { liftNamed } from './fixtures.ts';

const PUD_VA = DEVICE_VA_BASE + 0x140000 * 4096;
const strip = (op: Op): unknown => {
  const { seq: _seq, line: _line, mm: _mm, ...rest } = op as Op & { mm?: string };
  return rest;
};

describe.each([
  ['k612-devdax-devdaxwork.trace.txt', 'unpin_user_pages', 0x144001],
  ['k72-devdax-devdaxwork.trace.txt', 'unpin_user_folio', 0x140000],
] as const)('lifting %s', (name, coalesce, coalescePfn) => {
  it('lifts to the same Op stream on both kernels, apart from how io_uring drops the extra pin', async () => {
    const t = await liftNamed(name);
    expect(t.ops.map(strip)).toEqual([
      { type: 'pgmap.register', pgmap: 'dax0.0', pgmapType: 'generic', pfn: 0x140000, nr: 0x40000, vmemmapShift: 18 },
      { type: 'dax.fault', vma: { start: PUD_VA, end: PUD_VA + 2 ** 30, shared: true, file: 'dax0.0', pgoff: 0 }, address: PUD_VA, file: 'dax0.0', pgoff: 0, pfn: 0x140000, level: 'pud', write: false, vmaShared: true, reflink: false },
      { type: 'gup.pin', pfn: name.startsWith('k612') ? 0x17c000 : 0x140000, nr: 1, fast: false, longterm: false },
      { type: 'unpin', pfn: 0x17c000, nr: 1 },
      { type: 'gup.get', pfn: 0x144000, nr: 1, fast: true },
      { type: 'gup.pin', pfn: 0x144000, nr: 2, fast: true, write: true, longterm: true },
      { type: 'unpin', pfn: coalescePfn, nr: 1, ...(coalesce === 'unpin_user_folio' ? { via: coalesce } : {}) },
      { type: 'unpin', pfn: 0x140000, nr: 1, via: 'unpin_user_folio' },
      { type: 'munmap', start: PUD_VA, end: PUD_VA + 2 ** 30 },
    ]);
  });
  it('states that a device-dax trace cannot see a put that does not free (the pipe drain), and needs no fs_dax events', async () => {
    const t = await liftNamed(name);
    expect(t.observability.kinds.put).toBe('partial');
    expect(t.observability.kinds['dax.fault']).toBe('full');
    expect(t.observability.kinds['munmap:pud']).toBe('full');
    expect(t.observability.kinds['dax.hole_read']).toBe('full');
  });
});
