/**
 * Per-version kernel facts a profile carries besides its span: the names of the
 * functions a model's enter/exit markers use (a probe matches a marker by name), how
 * O_DIRECT holds and releases user pages, and where the recording kernel keeps the
 * struct page / folio words a probe or snap field reads. Each row says what recorded
 * it; a boundary no recording confirms says so.
 */

/** Function names that moved between versions. */
export interface KernelNames {
  /** Slow GUP's grab (spec §0.9): try_grab_page(page, flags) before 6.10, try_grab_folio(folio, refs, flags) after. */
  readonly slowGrab: 'try_grab_page' | 'try_grab_folio';
  /** GUP-fast's grab: try_grab_folio(page, refs, flags) before 6.10, try_grab_folio_fast() after. */
  readonly fastGrab: 'try_grab_folio' | 'try_grab_folio_fast';
  /** GUP-fast's entry that falls back to slow GUP (the caller a `_ret` probe prints). */
  readonly fastFallback: 'internal_get_user_pages_fast' | 'gup_fast_fallback';
  /** The legacy devmap put hook. */
  readonly devmapPutHook: '__put_devmap_managed_page_refs' | '__put_devmap_managed_folio_refs';
  /** GUP-fast's walker of a devmap PMD/PUD leaf (legacy). */
  readonly fastDevmapLeaf: '__gup_device_huge' | 'gup_fast_devmap_leaf';
  /** The free path of a ZONE_DEVICE page at refcount 0. */
  readonly freeZoneDevice: 'free_zone_device_page' | 'free_zone_device_folio';
  /** The legacy pfn_t PMD/PUD inserts. */
  readonly insertPfnPmd: 'vmf_insert_pfn_pmd_prot' | 'vmf_insert_pfn_pmd';
  readonly insertPfnPud: 'vmf_insert_pfn_pud_prot' | 'vmf_insert_pfn_pud';
  /**
   * Slow GUP of a devmap PUD leaf: follow_devmap_pud() walks it one 4 KiB page per call
   * before 6.10; follow_huge_pud() ("mm/gup: handle huge pud for follow_pud_mask()")
   * grabs 1 and sets ctx->page_mask, __get_user_pages() grabs the rest
   * (events/traces/k612-devdax-devdaxwork.trace.txt:215-218).
   */
  readonly slowPudWalk: 'follow_devmap_pud' | 'follow_huge_pud';
  /**
   * The core of munmap(): do_mas_munmap() in 6.1 (the maple-tree rework removed
   * __do_munmap() there), do_vmi_munmap() from 6.2 (the VMA-iterator conversion; the
   * 6.2 boundary is not pinned by a recording); the symbol tables of the Debian 6.1.192, 6.12.107, 7.2.13 and
   * 7.3.4 kernels (src/models/kernel-symbols.ts) have exactly these.
   */
  readonly munmap: 'do_mas_munmap' | 'do_vmi_munmap';
}

/**
 * Recorded: 6.1 (events/traces/k61-ext4-daxwork.trace.txt `# probe attach status:`:
 * try_grab_page, try_grab_folio(page), __gup_device_huge, __put_devmap_managed_page_refs,
 * free_zone_device_page, vmf_insert_pfn_pmd_prot attach; the 6.10+ names fail) and 6.12
 * (the new names). Between the two the renames are placed at 6.10 with "mm: gup: stop
 * abusing try_grab_folio" (spec §0.9); free_zone_device_folio and the removal of the
 * _prot inserts are not pinned to a release by a recording.
 */
export function kernelNames(v: readonly [number, number]): KernelNames {
  const post610 = v[0] > 6 || (v[0] === 6 && v[1] >= 10);
  return post610
    ? {
        slowGrab: 'try_grab_folio', fastGrab: 'try_grab_folio_fast', fastFallback: 'gup_fast_fallback', devmapPutHook: '__put_devmap_managed_folio_refs',
        fastDevmapLeaf: 'gup_fast_devmap_leaf', freeZoneDevice: 'free_zone_device_folio', insertPfnPmd: 'vmf_insert_pfn_pmd', insertPfnPud: 'vmf_insert_pfn_pud',
        slowPudWalk: 'follow_huge_pud', munmap: 'do_vmi_munmap',
      }
    : {
        slowGrab: 'try_grab_page', fastGrab: 'try_grab_folio', fastFallback: 'internal_get_user_pages_fast', devmapPutHook: '__put_devmap_managed_page_refs',
        fastDevmapLeaf: '__gup_device_huge', freeZoneDevice: 'free_zone_device_page', insertPfnPmd: 'vmf_insert_pfn_pmd_prot', insertPfnPud: 'vmf_insert_pfn_pud_prot',
        slowPudWalk: 'follow_devmap_pud', munmap: v[0] === 6 && v[1] <= 1 ? 'do_mas_munmap' : 'do_vmi_munmap',
      };
}

/**
 * How fs/dax.c treats a shared (reflink, IOMAP_F_SHARED) extent before v6.15. v6.1:
 * dax_insert_entry() takes the shared path only for a write (`cow =
 * dax_fault_is_cow(iter)`, IOMAP_WRITE && IOMAP_F_SHARED); a read fault associates the
 * page as if unshared (WARN_ON_ONCE(page->mapping) when another file has it), and
 * dax_disassociate_entry() keeps the PAGE_MAPPING_DAX_COW mark while `page->index-- > 0`
 * (a post-decrement: the count must reach -1 to clear). v6.2, "fsdax: introduce
 * page->share for fsdax in reflink mode" (16aac5ad1fa9): every fault on a shared extent
 * (`shared = iter->iomap.flags & IOMAP_F_SHARED`) calls dax_page_share_get(), and
 * dax_page_share_put() pre-decrements. Read from the Debian 6.1.192 and 6.12.118 sources;
 * the 6.2 boundary is the commit's, not a recording's. Whether a fault sees the extent as
 * shared is the filesystem's: 6.1 xfs_read_iomap_begin() asks xfs_reflink_trim_around_shared()
 * only for IOMAP_REPORT, so a DAX read fault on a reflinked block is never IOMAP_F_SHARED
 * and WARNs in dax_associate_entry() when another file has the page (vmtest 6.1 xfs
 * fsdax-reflink: dax_insert_entry iomap_flags=2 on every read fault, 6 on the CoW
 * writes); 6.12 asks for IS_DAX() inodes too (iomap_flags=6 on the clone's read faults).
 * The Op's `reflink` is the flag as the fault saw it.
 */
export type DaxShare = 'cow-write' | 'share';

/** The reflink sharing of a kernel version (see DaxShare). */
export function daxShare(v: readonly [number, number]): DaxShare {
  return v[0] === 6 && v[1] < 2 ? 'cow-write' : 'share';
}

/**
 * Whether mprotect() knows a huge PUD: change_pud_range() of 6.1 through 6.11 tests only
 * pud_none_or_clear_bad(), which to x86 pud_bad() takes a leaf PUD (_PAGE_PSE) for a bad
 * table and clears it ("bad pud" in the log, no rmap removal, no put). "mm/mprotect: fix
 * dax pud handlings" (Peter Xu, cb0f01beb166) gave it a pud_leaf() case, change_huge_pud()
 * on a whole PUD and __split_huge_pud() on one the range cuts; it was posted in August
 * 2024 after v6.11-rc1 and merged for v6.12-rc1, so the boundary is the commit's. The
 * recordings agree at the ends: the stock 6.1 devdax-1G console shows a bad pud for each
 * mprotect() that changes the 1 GiB mapping and one for its mremap(), the 6.12 console
 * only mremap()'s (Debian 6.1.192, 6.12.118 and 7.3.4 sources read).
 */
export function changeHugePud(v: readonly [number, number]): boolean {
  return v[0] > 6 || (v[0] === 6 && v[1] >= 12);
}

/**
 * Whether the kernel has CONFIG_PAGE_MAPCOUNT at all. mm/Kconfig gained `config
 * PAGE_MAPCOUNT def_bool !NO_PAGE_MAPCOUNT` with David Hildenbrand's "mm:
 * CONFIG_NO_PAGE_MAPCOUNT to prepare for not maintain per-page mapcounts in large folios"
 * (e63ee43e3eda, from the "MM owner tracking for large folios" series), merged for
 * v6.15-rc1. Before it every kernel kept per-page mapcounts and no option named that, so a
 * 6.1-6.14 config has no such line (the Debian 6.12.118 mm/Kconfig has neither symbol).
 */
export function hasPageMapcountOption(v: readonly [number, number]): boolean {
  return v[0] > 6 || (v[0] === 6 && v[1] >= 15);
}

/** How __bio_release_pages() drops the pages of an O_DIRECT bio. */
export type DioRelease = 'folio_put_refs' | 'put_page' | 'unpin_user_page' | 'unpin_user_folio';

/** How O_DIRECT holds user pages, and how the bio completion lets them go. */
export interface DioPath {
  /** FOLL_GET (iov_iter_get_pages()) or FOLL_PIN (iov_iter_extract_pages()). */
  readonly grab: 'get' | 'pin';
  readonly release: DioRelease;
  readonly note: string;
}

interface DioRow extends DioPath {
  readonly from: readonly [number, number];
}

/** Oldest first; a version takes the last row at or below it. */
const DIO_AXIS: readonly DioRow[] = [
  {
    from: [6, 1], grab: 'get', release: 'folio_put_refs',
    // Recorded: k61-ext4-daxrace.trace.txt:165 (try_grab_folio flags=0x5, FOLL_GET|FOLL_WRITE)
    // and :175 (__bio_release_pages, then no devmap hook, no wake_up_var; the .md reads
    // folio_mark_dirty() + folio_put_refs() in 6.1.192). v6.1 as released called put_page()
    // per bvec, which runs the hook: the folio path came with a 6.1.y stable change, which
    // one is not established here, so a 6.1.y before it is modelled wrongly.
    note: 'FOLL_GET; __bio_release_pages() → folio_put_refs(), no devmap hook (6.1.y stable, recorded 6.1.192)',
  },
  { from: [6, 2], grab: 'get', release: 'put_page', note: 'FOLL_GET; __bio_release_pages() → put_page() per page (the devmap hook runs)' },
  {
    // "block: Convert bio_iov_iter_get_pages to use iov_iter_extract_pages" and BIO_PAGE_PINNED
    // (David Howells, early 2023): taken as v6.3, not confirmed by a recording.
    from: [6, 3], grab: 'pin', release: 'unpin_user_page', note: 'FOLL_PIN; bio_release_page() → unpin_user_page() per page (boundary unrecorded)',
  },
  {
    // bio_release_folio() → unpin_user_folio(): recorded on 6.12 (k612-ext4-daxrace), 7.2, 7.3
    // (k73-ext4-daxrace.trace.txt:195); its first release is not pinned by a recording.
    from: [6, 11], grab: 'pin', release: 'unpin_user_folio', note: 'FOLL_PIN; __bio_release_pages() → unpin_user_folio() per folio',
  },
];

/** The O_DIRECT path of a kernel version. */
export function dioPath(v: readonly [number, number]): DioPath {
  let row = DIO_AXIS[0]!;
  for (const r of DIO_AXIS) if (v[0] > r.from[0] || (v[0] === r.from[0] && v[1] >= r.from[1])) row = r;
  return { grab: row.grab, release: row.release, note: row.note };
}

/**
 * Byte offsets, from the start of a head's struct page, of the words probes and snap
 * lines read (64-byte struct page; page[1] starts at +64). `order` is a byte, the rest
 * 32-bit, `large` absent where the kernel has no _large_mapcount.
 */
export interface PageLayout {
  readonly name: string;
  readonly word1: number;
  readonly mapcount: number;
  readonly refcount: number;
  readonly order: number;
  readonly entire: number;
  readonly large: number | null;
  readonly pincount: number;
}

/**
 * Layouts read from the recording kernels' BTF (events/traces/README.md, the .md files).
 * A row spans only versions whose BTF was read; its name is the first of them.
 */
const LAYOUTS: readonly { readonly from: readonly [number, number]; readonly to: readonly [number, number]; readonly layout: PageLayout }[] = [
  // 6.1: folio _folio_order +81, _total_mapcount +84 (the entire mapcount), _pincount +88 (k61-ext4-daxwork.md)
  { from: [6, 1], to: [6, 1], layout: { name: '6.1', word1: 8, mapcount: 48, refcount: 52, order: 81, entire: 84, large: null, pincount: 88 } },
  // 6.12: _flags_1 +64 (order byte), _large_mapcount +80, _entire_mapcount +84, _pincount +92 (k612-devdax-devdaxwork.md)
  { from: [6, 12], to: [6, 12], layout: { name: '6.12', word1: 8, mapcount: 48, refcount: 52, order: 64, entire: 84, large: 80, pincount: 92 } },
  // 7.2 and 7.3 (identical BTF): _large_mapcount +80, _entire_mapcount +88, _pincount +92 (k73-ext4-daxwork.md)
  { from: [7, 2], to: [7, 3], layout: { name: '7.2', word1: 8, mapcount: 48, refcount: 52, order: 64, entire: 88, large: 80, pincount: 92 } },
];

/**
 * The recorded layout of a version, or null where none was recorded (then a field is
 * read by its name alone). The 7.x layout was recorded with CONFIG_PAGE_MAPCOUNT=y, so a
 * config that turns the option off (CONFIG_NO_PAGE_MAPCOUNT=y) has no recorded layout.
 */
export function pageLayout(v: readonly [number, number], kconfig: Readonly<Record<string, string>>): PageLayout | null {
  const cmp = (a: readonly [number, number], b: readonly [number, number]): number => a[0] - b[0] || a[1] - b[1];
  const row = LAYOUTS.find((l) => cmp(v, l.from) >= 0 && cmp(v, l.to) <= 0);
  if (!row) return null;
  if (hasPageMapcountOption(v) && kconfig['CONFIG_PAGE_MAPCOUNT'] === 'n') return null;
  // a later version of the row: the offsets are the named version's, and that version's
  // own BTF was read with the same ones; say both rather than name 7.2 for a 7.3 kernel
  if (cmp(v, row.from) !== 0) return { ...row.layout, name: `${row.layout.name}'s, the same in ${v[0]}.${v[1]}'s BTF` };
  return row.layout;
}
