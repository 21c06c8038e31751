import { describe, expect, it } from 'vitest';
import { pageAddrOffset, pageAddrToPfn, pfnToPageAddr, STRUCT_PAGE_SIZE, VMEMMAP_BASE } from '../../src/trace/address.ts';

describe('pageAddrToPfn', () => {
  it('maps a struct page address to its pfn (64-byte struct page at 0xffffea0000000000)', () => {
    expect(STRUCT_PAGE_SIZE).toBe(64);
    expect(VMEMMAP_BASE).toBe(0xffffea0000000000n);
    expect(pageAddrToPfn(0xffffea0001201400n)).toBe(0x48050);
    expect(pageAddrToPfn(0xffffea0001218000n)).toBe(0x48600);
    expect(pageAddrToPfn(0xffffea0005000000n)).toBe(0x140000);
    expect(pageAddrToPfn(0xffffea0000000000n)).toBe(0);
  });

  it('rejects addresses that are unaligned, below the vmemmap or above it', () => {
    expect(pageAddrToPfn(0xffffea0001201434n)).toBeNull();
    expect(pageAddrToPfn(0xffff888000e629c8n)).toBeNull();
    expect(pageAddrToPfn(0x0n)).toBeNull();
    expect(pageAddrToPfn(0xffffeb0000000000n)).toBeNull();
  });

  it('takes another vmemmap base (KASLR, 5-level paging)', () => {
    expect(pageAddrToPfn(0xffd4000000001000n, 0xffd4000000000000n)).toBe(0x40);
    expect(pageAddrToPfn(0xffffea0001201400n, 0xffd4000000000000n)).toBeNull();
  });
});

describe('pageAddrOffset', () => {
  it('splits &page->_refcount (wake_up_var var=) into pfn and offset 52', () => {
    expect(pageAddrOffset(0xffffea0001201434n)).toEqual({ pfn: 0x48050, offset: 52 });
    expect(pageAddrOffset(0xffffea0005000008n)).toEqual({ pfn: 0x140000, offset: 8 });
    expect(pageAddrOffset(0x1000n)).toBeNull();
  });
});

describe('pfnToPageAddr', () => {
  it('is the inverse of pageAddrToPfn', () => {
    expect(pfnToPageAddr(0x48050)).toBe(0xffffea0001201400n);
    expect(pfnToPageAddr(0x17c000n)).toBe(0xffffea0005f00000n);
    for (const pfn of [0, 1, 0x40000, 0x5ffff, 0x140000]) expect(pageAddrToPfn(pfnToPageAddr(pfn) ?? 0n)).toBe(pfn);
  });

  it('rejects negative and fractional pfns', () => {
    expect(pfnToPageAddr(-1)).toBeNull();
    expect(pfnToPageAddr(1.5)).toBeNull();
    expect(pfnToPageAddr(-1n)).toBeNull();
  });
});
