/**
 * Op: a model-independent kernel operation. The same Op stream is fed to every
 * model; each model expands it into the RefEvents its kernel would perform.
 * JSONL `type` strings are exactly the names below (an interface later work and
 * checks depend on).
 */

/** The ZONE_DEVICE pgmap types (enum memory_type), lower-cased. */
export type PgmapType = 'fsdax' | 'generic' | 'private' | 'coherent' | 'p2pdma';
/** Every pgmap type, in enum memory_type order. */
export const PGMAP_TYPES: readonly PgmapType[] = ['private', 'coherent', 'fsdax', 'generic', 'p2pdma'];

/** Page-table level of a mapping. */
export type Level = 'pte' | 'pmd' | 'pud';

/** A VMA as an Op names it: [start, end) virtual range, MAP_SHARED or MAP_PRIVATE. */
export interface VmaRef {
  readonly start: number;
  readonly end: number;
  readonly shared: boolean;
  /** The file this VMA maps (absent for anonymous or device mappings named by pgmap). */
  readonly file?: string;
  /** File page offset of `start`. */
  readonly pgoff?: number;
}

interface OpBase {
  /** 1-based position in the Op stream. */
  readonly seq: number;
  /** Where the Op came from (trace line), when lifted from a recording. */
  readonly line?: number;
  /**
   * The Op (seq) of an earlier layout break by the task this Op was lifted from: that
   * task is running again, so the wait in ___wait_var_event() that break may sleep in has
   * ended. A waiter of that Op still present in the model is ended first (endTaskWait()).
   * Not set when `restarts` names the same Op.
   */
  readonly endsWait?: number;
}

/** memremap_pages(): register a pgmap over [pfn, pfn + nr). */
export interface PgmapRegisterOp extends OpBase {
  readonly type: 'pgmap.register';
  readonly pgmap: string;
  readonly pgmapType: PgmapType;
  readonly pfn: number;
  readonly nr: number;
  /** pgmap->vmemmap_shift: compound page order of device-dax (0, 9 or 18). */
  readonly vmemmapShift: number;
}

/** memunmap_pages(). */
export interface PgmapUnregisterOp extends OpBase {
  readonly type: 'pgmap.unregister';
  readonly pgmap: string;
}

/** A DAX fault (dax_iomap_fault() for fsdax, dev_dax_huge_fault() for device-dax). */
export interface DaxFaultOp extends OpBase {
  readonly type: 'dax.fault';
  readonly mm: string;
  readonly vma: VmaRef;
  readonly address: number;
  /** File (address_space) the block belongs to; for device-dax the device name. */
  readonly file: string;
  readonly pgoff: number;
  /** pfn backing pgoff (the head pfn of the PMD/PUD block for huge faults). */
  readonly pfn: number;
  readonly level: Level;
  readonly write: boolean;
  /** VM_SHARED on the VMA. */
  readonly vmaShared: boolean;
  /** The extent is shared (IOMAP_F_SHARED, reflink). */
  readonly reflink: boolean;
}

/** dax_iomap_pfn_mkwrite() / dax_finish_sync_fault(): write upgrade of a present entry. */
export interface DaxMkwriteOp extends OpBase {
  readonly type: 'dax.mkwrite';
  readonly mm: string;
  readonly address: number;
  readonly file: string;
  readonly pgoff: number;
  readonly pfn: number;
}

/** dax_load_hole(): read fault on a hole maps the zero page. */
export interface DaxHoleReadOp extends OpBase {
  readonly type: 'dax.hole_read';
  readonly mm: string;
  readonly vma: VmaRef;
  readonly address: number;
  readonly file: string;
  readonly pgoff: number;
}

/** munmap() of [start, end) in `mm`. */
export interface MunmapOp extends OpBase {
  readonly type: 'munmap';
  readonly mm: string;
  readonly start: number;
  readonly end: number;
}

/**
 * mremap() of [start, end) in `mm` to [newStart, newEnd): in place (newStart = start) the
 * VMA grows or shrinks (a shrink unmaps the tail); moved, move_page_tables() carries every
 * entry to the new address without touching a count (move_huge_pmd(), move_ptes()), a
 * huge entry whose new address is not aligned being split first.
 */
export interface MremapOp extends OpBase {
  readonly type: 'mremap';
  readonly mm: string;
  readonly start: number;
  readonly end: number;
  readonly newStart: number;
  readonly newEnd: number;
}

/** madvise(MADV_DONTNEED) of [start, end): zap_page_range_single(); the VMA stays. */
export interface MadviseOp extends OpBase {
  readonly type: 'madvise';
  readonly mm: string;
  readonly start: number;
  readonly end: number;
  readonly advice: 'dontneed';
}

/**
 * mprotect() of [start, end): change_protection(). A huge entry the range cuts is split
 * (__split_huge_pmd()); `write: false` write-protects the entries; `write: true` leaves
 * them read-only (a DAX shared mapping wants write notification: the next write faults).
 */
export interface MprotectOp extends OpBase {
  readonly type: 'mprotect';
  readonly mm: string;
  readonly start: number;
  readonly end: number;
  readonly write: boolean;
}

/** __split_huge_pmd() at `address` (partial munmap/mprotect of a PMD mapping). */
export interface PmdSplitOp extends OpBase {
  readonly type: 'pmd.split';
  readonly mm: string;
  readonly address: number;
}

/** fork(): `child` gets copies of `mm`'s VMAs (copy_page_range()). */
export interface ForkOp extends OpBase {
  readonly type: 'fork';
  readonly mm: string;
  readonly child: string;
}

/** exit_mmap() of `mm`. */
export interface ExitOp extends OpBase {
  readonly type: 'exit';
  readonly mm: string;
}

/** get_user_pages(FOLL_GET) or get_user_pages_fast() on nr pages from pfn. */
export interface GupGetOp extends OpBase {
  readonly type: 'gup.get';
  readonly mm?: string;
  readonly pfn: number;
  readonly nr: number;
  readonly fast: boolean;
  /** FOLL_WRITE: the caller writes the pages (absent: false). */
  readonly write?: boolean;
}

/** pin_user_pages(FOLL_PIN[, FOLL_LONGTERM]) or its fast variant. */
export interface GupPinOp extends OpBase {
  readonly type: 'gup.pin';
  readonly mm?: string;
  readonly pfn: number;
  readonly nr: number;
  readonly fast: boolean;
  readonly longterm: boolean;
  /**
   * FOLL_WRITE (absent: false). GUP-fast refuses a FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE pin
   * of a file-backed folio (gup_fast_folio_allowed()), so it matters for long-term pins.
   */
  readonly write?: boolean;
}

/**
 * An O_DIRECT request takes the user pages of its buffer for the bio:
 * bio_iov_iter_get_pages(). How is the kernel's: FOLL_GET through
 * iov_iter_get_pages() before the block layer pinned (6.1), FOLL_PIN through
 * iov_iter_extract_pages() after. `write` is FOLL_WRITE (a read into the pages).
 */
export interface DioGrabOp extends OpBase {
  readonly type: 'dio.grab';
  readonly mm?: string;
  readonly pfn: number;
  readonly nr: number;
  /** GUP-fast found the pages mapped (false: the slow path faulted them in). */
  readonly fast: boolean;
  readonly write?: boolean;
}

/**
 * The bio of an O_DIRECT request completes and __bio_release_pages() releases the nr
 * pages from pfn that dio.grab took; how (folio_put_refs(), put_page(), an unpin) is
 * the kernel's.
 */
export interface DioReleaseOp extends OpBase {
  readonly type: 'dio.release';
  readonly pfn: number;
  readonly nr: number;
}

/**
 * do_wp_page() → wp_page_copy(): a write fault on a read-only page of a MAP_PRIVATE
 * mapping replaces it, in `mm` at `address`, with a new anonymous copy.
 */
export interface CowOp extends OpBase {
  readonly type: 'cow';
  readonly mm: string;
  readonly address: number;
}

/**
 * The put paths a kernel can take; they differ in whether the legacy devmap hook
 * (put_devmap_managed_folio_refs) runs and can wake.
 */
export type PutPath = 'put_page' | 'folio_put_refs' | 'bio_release';

/** Drop nr references taken by gup.get (put_page() by default). */
export interface PutOp extends OpBase {
  readonly type: 'put';
  readonly pfn: number;
  readonly nr: number;
  readonly via?: PutPath;
}

/** The unpin entry points (they differ in name only: each ends in gup_put_folio()). */
export type UnpinVia = 'unpin_user_pages' | 'unpin_user_pages_dirty_lock' | 'unpin_user_page' | 'unpin_user_folio';

/** unpin_user_pages() (or `via`) on nr pages from pfn. */
export interface UnpinOp extends OpBase {
  readonly type: 'unpin';
  readonly pfn: number;
  readonly nr: number;
  /** The function called (absent: unpin_user_pages()). */
  readonly via?: UnpinVia;
}

/** File-range Ops: pgoff range [start, end] inclusive, `end` absent = to EOF. */
interface FileRangeOp extends OpBase {
  readonly file: string;
  /** The filesystem whose break-layout function runs (default ext4). */
  readonly fs?: 'ext4' | 'xfs';
  readonly start: number;
  readonly end?: number;
  /**
   * The Op (seq) of this task's earlier break of the same file that this one re-enters
   * after its wait in ___wait_var_event() ended (lifted: the earlier break's last busy
   * scan named a busy page and the task entered the break function again). A waiter of
   * that Op still present in the model is ended first: see endReenteredWait().
   */
  readonly restarts?: number;
}

/** ext4_break_layouts() / xfs_break_dax_layouts() / dax_break_layout(). */
export interface FsBreakLayoutOp extends FileRangeOp {
  readonly type: 'fs.break_layout';
}

/** Truncate or hole punch: break layouts, then remove the DAX entries. */
export interface FsTruncateOp extends FileRangeOp {
  readonly type: 'fs.truncate';
}

/** Inode eviction (last close of an unlinked file, or unmount). */
export interface FsEvictOp extends FileRangeOp {
  readonly type: 'fs.evict';
}

/** A device-private driver allocation (zone_device_page_init()). */
export interface DevprivAllocOp extends OpBase {
  readonly type: 'devpriv.alloc';
  readonly pfn: number;
  readonly order: number;
}

/** The final put of a device-private page. */
export interface DevprivFreeOp extends OpBase {
  readonly type: 'devpriv.free';
  readonly pfn: number;
  readonly order: number;
}

/** p2pmem_alloc_mmap(): allocate from the P2PDMA pool and vm_insert_page() each page. */
export interface P2pAllocMmapOp extends OpBase {
  readonly type: 'p2p.alloc_mmap';
  readonly mm: string;
  readonly vma: VmaRef;
  readonly address: number;
  readonly pfn: number;
  readonly nr: number;
}

/** Every Op. */
export type Op =
  | PgmapRegisterOp
  | PgmapUnregisterOp
  | DaxFaultOp
  | DaxMkwriteOp
  | DaxHoleReadOp
  | MunmapOp
  | MremapOp
  | MadviseOp
  | MprotectOp
  | PmdSplitOp
  | ForkOp
  | ExitOp
  | GupGetOp
  | GupPinOp
  | PutOp
  | UnpinOp
  | DioGrabOp
  | DioReleaseOp
  | CowOp
  | FsBreakLayoutOp
  | FsTruncateOp
  | FsEvictOp
  | DevprivAllocOp
  | DevprivFreeOp
  | P2pAllocMmapOp;

/** The Op `type` strings. */
export type OpType = Op['type'];
/** The Op of one type. */
export type OpOf<K extends OpType> = Extract<Op, { type: K }>;

/** Every Op type, in the order of the vocabulary. */
export const OP_TYPES: readonly OpType[] = [
  'pgmap.register', 'pgmap.unregister', 'dax.fault', 'dax.mkwrite', 'dax.hole_read', 'munmap',
  'pmd.split', 'fork', 'exit', 'gup.get', 'gup.pin', 'put', 'unpin', 'fs.break_layout',
  'fs.truncate', 'fs.evict', 'devpriv.alloc', 'devpriv.free', 'p2p.alloc_mmap',
  'dio.grab', 'dio.release', 'cow', 'mremap', 'madvise', 'mprotect',
];
