/**
 * A layout break, truncate or hole punch, from the filesystem's break function
 * (ext4_break_layouts(), xfs_break_dax_layouts(); v6.15+ dax_break_layout(),
 * dax_break_layout_final() on eviction) or the first dax_layout_busy_page_range()
 * to its last deletion (legacy dax_delete_mapping_entry() per index; v6.15+
 * dax_delete_mapping_range()). The task may sleep in the middle until another task's
 * put wakes it, so the Op is placed at its first event and closed only by its own task.
 *
 * The file: the mapping pointer the probes print is tied to a file through a fault
 * that printed it (legacy dax_disassociate_entry()), or through a pfn the break names
 * (the busy page, an unmapped folio, a folio it resets) that a fault mapped.
 */
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import { probeBigint } from '../trace/record-fields.ts';
import { decodeDaxEntry } from '../trace/xarray-entry.ts';
import { PAGE_SHIFT } from '../kernel/constants.ts';
import type { Builder, Closed, LiftEnv } from './builder.ts';
import { strayOnly } from './builder.ts';
import { pfnField, probeFunction, probePage } from './record-view.ts';

/** The calls that begin a break of their own (a second one is a second Op). */
const TOP: ReadonlySet<string> = new Set(['ext4_break_layouts', 'xfs_break_dax_layouts', 'dax_break_layout_final']);
/** The DAX layout-break and deletion functions. */
const BREAK: ReadonlySet<string> = new Set([
  ...TOP, 'dax_break_layout', 'dax_layout_busy_page_range', 'dax_layout_busy_page', 'dax_delete_mapping_range', 'dax_delete_mapping_entry',
]);
/** What a break traces on the way: the unmap of the range, frees and wakes, deletion internals. */
const INSIDE: ReadonlySet<string> = new Set([
  'folio_remove_rmap_ptes', 'folio_remove_rmap_pmd', 'folio_remove_rmap_pud', 'page_remove_rmap', 'zap_huge_pmd', 'zap_huge_pud',
  'free_zone_device_folio', 'free_zone_device_page', '__folio_put', 'wake_up_var', 'dax_folio_reset_order', 'dax_disassociate_entry',
]);
/** loff_t ends at or beyond this are "to the end of the file" (LLONG_MAX in the kernel). */
const EOF_BYTES = 1n << 62n;

/** True for a record that opens a break. */
export function opensBreak(r: TraceRecord): r is KprobeRecord {
  return r.kind === 'kprobe' && r.probeKind === 'entry' && BREAK.has(probeFunction(r));
}

/** A layout break being read. */
export class BreakBuilder implements Builder {
  readonly kind = 'break' as const;
  readonly context: string;
  readonly endsAtPhase = false;
  readonly finished = false;
  private readonly env: LiftEnv;
  private readonly records: TraceRecord[] = [];
  private top = false;
  private unifiedBreak = false;
  private deleted = false;
  private final = false;
  private fs: 'ext4' | 'xfs' | undefined;
  private mapping: bigint | null = null;
  private inode: bigint | null = null;
  private readonly pfns: number[] = [];
  private readonly indices: number[] = [];
  private range: { start: number; end: number | undefined } | null = null;
  /** The last busy scan (dax_layout_busy_page_range() return) named a busy page: the task then waits. */
  private lastScanBusy = false;
  /** The same task's earlier break this one re-enters (Op.restarts), or null. */
  private readonly reenters: BreakBuilder | null;
  /** Identifies this break's Op to the lifter, which numbers it (LiftedOp.key). */
  private readonly key = {};

  /** `prev`: the same task's last layout break, closed before this record. */
  constructor(env: LiftEnv, context: string, r: KprobeRecord, prev?: unknown) {
    this.env = env;
    this.context = context;
    this.fs = env.fs;
    this.take(r);
    // ext4_break_layouts() loops over dax_layout_busy_page() + ___wait_var_event()
    // inside itself while the wait returns 0; xfs_break_layouts() calls
    // xfs_break_dax_layouts() again after a 0 return with *retry set. Either way a new
    // entry of the break function by a task whose last scan returned a busy page means
    // its wait has ended: interrupted (-ERESTARTSYS, the punch restarts; 6.1 pageref
    // fsdax-race ext4-fsdax-race.trace.txt:495 → :500, xfs-fsdax-race.trace.txt:503 →
    // :506) or, on xfs, woken. The model tells the two apart by the page's refcount
    // (endReenteredWait()).
    this.reenters = prev instanceof BreakBuilder && prev.top && !prev.deleted && prev.lastScanBusy && TOP.has(probeFunction(r))
      && (prev.inode === null || this.inode === null || prev.inode === this.inode) ? prev : null;
  }

  offer(r: TraceRecord): boolean {
    if (r.kind === 'page_ref') {
      this.records.push(r);
      return true;
    }
    if (r.kind !== 'kprobe') return false;
    const fn = probeFunction(r);
    if (r.probeKind === 'entry' && TOP.has(fn) && (this.top || this.deleted)) return false;
    if (r.probeKind === 'entry' && fn === 'dax_break_layout' && (this.unifiedBreak || this.deleted)) return false;
    if (!BREAK.has(fn) && !INSIDE.has(fn)) return false;
    this.take(r);
    return true;
  }

  private take(r: KprobeRecord): void {
    this.records.push(r);
    const fn = probeFunction(r);
    if (r.probeKind === 'return') {
      const pfn = pfnField(r, 'page', this.env.vmemmapBase);
      if (pfn !== null) this.pfns.push(pfn);
      if (fn === 'dax_layout_busy_page_range' || fn === 'dax_layout_busy_page') this.lastScanBusy = pfn !== null;
      return;
    }
    if (TOP.has(fn)) this.top = true;
    if (fn === 'ext4_break_layouts') this.fs = 'ext4';
    if (fn === 'xfs_break_dax_layouts') this.fs = 'xfs';
    if (fn === 'dax_break_layout_final') this.final = true;
    if (fn === 'dax_break_layout') {
      this.unifiedBreak = true;
      this.range ??= byteRange(probeBigint(r, 'start'), probeBigint(r, 'end'));
    }
    this.inode ??= probeBigint(r, 'inode');
    this.mapping ??= probeBigint(r, 'mapping');
    if (fn === 'dax_delete_mapping_entry') {
      this.deleted = true;
      const index = probeBigint(r, 'index');
      if (index !== null) this.indices.push(Number(index));
    }
    if (fn === 'dax_delete_mapping_range') {
      this.deleted = true;
      this.range ??= byteRange(probeBigint(r, 'start'), probeBigint(r, 'end'));
    }
    const entry = probeBigint(r, 'entry');
    const decoded = entry === null ? null : decodeDaxEntry(entry);
    if (decoded && !decoded.zeroPage && !decoded.empty) this.pfns.push(decoded.pfn);
    const pfn = probePage(r, this.env.vmemmapBase);
    if (pfn !== null) this.pfns.push(pfn);
    // the break's unmap: later unmaps must not find these pages at their old addresses
    if (/remove_rmap/.test(fn)) {
      const page = pfnField(r, 'page', this.env.vmemmapBase) ?? pfn;
      if (page !== null) this.env.world.forgetPfn(page);
    }
  }

  /** The file: through the mapping pointer, else through a page the break names. */
  private file(): string | undefined {
    const world = this.env.world;
    if (this.mapping !== null && this.inode !== null) world.linkInode(this.inode, this.mapping);
    const mapping = this.mapping ?? (this.inode !== null ? world.mappingOfInode(this.inode) : undefined) ?? null;
    let file = mapping !== null ? world.fileOfMapping(mapping) : undefined;
    file ??= this.pfns.map((p) => world.fileOfPfn(p)).find((f) => f !== undefined);
    if (file !== undefined && mapping !== null) world.linkMapping(mapping, file);
    if (file === undefined && mapping !== null) file = `mapping:0x${mapping.toString(16)}`;
    return file;
  }

  close(): Closed {
    const first = this.records[0];
    const file = this.file();
    if (first === undefined || file === undefined) return strayOnly(this.records);
    const type = this.final ? 'fs.evict' : this.deleted ? 'fs.truncate' : 'fs.break_layout';
    // legacy truncate_inode_pages_range() deletes entry by entry: the punched range
    const range = this.indices.length > 0 ? { start: Math.min(...this.indices), end: Math.max(...this.indices) } : (this.range ?? { start: 0, end: undefined });
    const op = {
      type, line: first.line, file, start: range.start,
      ...(range.end !== undefined ? { end: range.end } : {}),
      ...(this.fs !== undefined ? { fs: this.fs } : {}),
    } as const;
    return { ops: [{ op, records: this.records, key: this.key, ...(this.reenters !== null ? { reenters: this.reenters.key } : {}) }], stray: [] };
  }
}

/** A loff_t byte range [start, end] as page offsets, `end` absent for "to EOF". */
function byteRange(start: bigint | null, end: bigint | null): { start: number; end: number | undefined } {
  const s = start === null ? 0 : Number(start >> BigInt(PAGE_SHIFT));
  if (end === null || end >= EOF_BYTES) return { start: s, end: undefined };
  return { start: s, end: Number(end >> BigInt(PAGE_SHIFT)) };
}
