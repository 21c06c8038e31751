/**
 * `struct page *` ↔ pfn arithmetic for SPARSEMEM_VMEMMAP (x86-64, 4-level paging,
 * no KASLR): `pfn_to_page(pfn) = vmemmap + pfn`, so the address of a pfn's
 * `struct page` is `VMEMMAP_BASE + pfn * STRUCT_PAGE_SIZE`.
 */

/** `sizeof(struct page)` on x86-64 without debug options. */
export const STRUCT_PAGE_SIZE = 64;

/** `VMEMMAP_START` on x86-64 with 4-level paging and no KASLR (`nokaslr`). */
export const VMEMMAP_BASE = 0xffffea0000000000n;

/**
 * Size of the vmemmap region for the default base: 4-level paging maps 46 physical
 * address bits, 2^34 pfns × 64 bytes = 1 TiB. For another base (5-level paging, KASLR)
 * the limit is that of 52 physical address bits, 2^40 pfns × 64 bytes.
 */
export const VMEMMAP_SIZE_4LEVEL = 1n << 40n;
const VMEMMAP_SIZE_MAX = 1n << 46n;

const PAGE_BYTES = BigInt(STRUCT_PAGE_SIZE);

/**
 * The pfn whose `struct page` lives at `addr` (the kernel's `page_to_pfn()` for
 * SPARSEMEM_VMEMMAP), or `null` when `addr` is below `vmemmapBase`, above the vmemmap
 * region, or not aligned to a struct page (an address inside a struct page, such as
 * `&page->_refcount`, is rejected: use {@link pageAddrOffset} for those).
 */
export function pageAddrToPfn(addr: bigint, vmemmapBase: bigint = VMEMMAP_BASE): number | null {
  const rel = pageAddrOffset(addr, vmemmapBase);
  if (rel === null || rel.offset !== 0) return null;
  return rel.pfn;
}

/**
 * Splits an address inside the vmemmap into the pfn of the struct page containing it
 * and the byte offset within that struct page (`wake_up_var` on `&page->_refcount`
 * gives offset 52). `null` outside the vmemmap region.
 */
export function pageAddrOffset(
  addr: bigint,
  vmemmapBase: bigint = VMEMMAP_BASE,
): { readonly pfn: number; readonly offset: number } | null {
  if (addr < vmemmapBase) return null;
  const rel = addr - vmemmapBase;
  if (rel >= (vmemmapBase === VMEMMAP_BASE ? VMEMMAP_SIZE_4LEVEL : VMEMMAP_SIZE_MAX)) return null;
  return { pfn: Number(rel / PAGE_BYTES), offset: Number(rel % PAGE_BYTES) };
}

/**
 * The address of `pfn`'s `struct page` (the kernel's `pfn_to_page()`), the inverse of
 * {@link pageAddrToPfn}. Returns `null` for a negative or non-integer pfn.
 */
export function pfnToPageAddr(pfn: number | bigint, vmemmapBase: bigint = VMEMMAP_BASE): bigint | null {
  if (typeof pfn === 'number' && (!Number.isSafeInteger(pfn) || pfn < 0)) return null;
  const big = BigInt(pfn);
  if (big < 0n) return null;
  return vmemmapBase + big * PAGE_BYTES;
}
