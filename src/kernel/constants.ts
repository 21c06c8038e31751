/**
 * x86-64, 4 KiB-page constants of the kernels the models follow (spec §10).
 * Named once here so that a rule reads `PMD_ORDER`, not `9`.
 */

/** PAGE_SHIFT: 4 KiB pages. */
export const PAGE_SHIFT = 12;
/** PAGE_SIZE. */
export const PAGE_SIZE = 4096;
/** HPAGE_PMD_ORDER: a PMD maps 2 MiB = 512 pages. */
export const PMD_ORDER = 9;
/** HPAGE_PUD_ORDER: a PUD maps 1 GiB = 262144 pages. */
export const PUD_ORDER = 18;
/** HPAGE_PMD_NR. */
export const HPAGE_PMD_NR = 1 << PMD_ORDER;
/** HPAGE_PUD_NR. */
export const HPAGE_PUD_NR = 1 << PUD_ORDER;
/** SECTION_SIZE_BITS on x86-64: 128 MiB memory sections. */
export const SECTION_SIZE_BITS = 27;
/** PAGES_PER_SECTION = 1 << (SECTION_SIZE_BITS - PAGE_SHIFT) = 32768. */
export const PAGES_PER_SECTION = 1 << (SECTION_SIZE_BITS - PAGE_SHIFT);
/** GUP_PIN_COUNTING_BIAS (include/linux/mm.h): a FOLL_PIN on a small folio adds 1024 refs. */
export const GUP_PIN_COUNTING_BIAS = 1024;
/** sizeof(struct page) on x86-64 (a power of two, so compound_info_has_mask() can hold). */
export const STRUCT_PAGE_SIZE = 64;
/** VMEMMAP_START with 4-level paging and no KASLR. */
export const DEFAULT_VMEMMAP_BASE = 0xffffea0000000000n;
/** MIGRATE_MOVABLE: what memmap_init_zone_device() sets on ZONE_DEVICE pageblocks (trace `mt`). */
export const MIGRATE_MOVABLE = 1;

/** Returns the level's page order: pte 0, pmd PMD_ORDER, pud PUD_ORDER. */
export function levelOrder(level: 'pte' | 'pmd' | 'pud'): number {
  return level === 'pte' ? 0 : level === 'pmd' ? PMD_ORDER : PUD_ORDER;
}

/** pfn_to_section_nr(): the 128 MiB memory section a pfn is in. */
export function pfnToSection(pfn: number): number {
  return Math.floor(pfn / PAGES_PER_SECTION);
}

/** Formats a pfn the way the kernel's traces print it (`0x%lx`). */
export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}
