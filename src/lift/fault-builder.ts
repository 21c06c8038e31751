/**
 * A DAX fault, from fs_dax `dax_pte_fault`/`dax_pmd_fault` to its `_done` event: the
 * fault event gives address, pgoff, the VMA (PMD faults print vm_start/vm_end), shared
 * or private and FAULT_FLAG_WRITE; everything the task traces before `_done` is part of
 * the fault, and the pfn it maps comes from the insert probes (legacy insert_pfn() /
 * vmf_insert_mixed_mkwrite() / vmf_insert_pfn_pmd() with a pfn_t, unified
 * vmf_insert_page_mkwrite() / insert_page() / vmf_insert_folio_pmd() with a struct page
 * or folio), an rmap probe, or a page_ref event of a page_ref build.
 *
 * A MAP_SYNC write fault ends `_done` with VM_FAULT_NEEDDSYNC and nothing mapped: the
 * filesystem then calls dax_finish_sync_fault() (fs/dax.c: vfs_fsync_range(), then
 * dax_insert_pfn_mkwrite(): folio_ref_inc(), vmf_insert_page_mkwrite() or
 * vmf_insert_folio_pmd(), folio_put(), and the fs_dax `dax_insert_pfn_mkwrite` event).
 * Those records are the same fault's insert: the fault reads on to that event (vmtest
 * 7.3dbg ext4-fsdax-faults.trace.txt:485-493, a PMD; :498-509, a PTE).
 */
import type { Level } from '../events/op.ts';
import { probeBigint } from '../trace/record-fields.ts';
import type { FsDaxRecord, KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import type { Builder, Closed, LiftEnv } from './builder.ts';
import { strayOnly } from './builder.ts';
import { pfnOfPfnT } from './gup-flags.ts';
import { isSnapProbe, mmKey, pfnField, probeFunction } from './record-view.ts';
import { fileId } from './world.ts';

const FAULT_FLAG_WRITE = 0x1;
/** IOMAP_F_SHARED (include/linux/iomap.h, 1U << 2 in 6.1 through 7.3): the extent is shared (reflink). */
const IOMAP_F_SHARED = 0x4;
/** offsetof(struct address_space, i_pages): after `struct inode *host` (6.1 through 7.3). */
const ADDRESS_SPACE_I_PAGES = 8n;
/** VM_FAULT_SIGBUS, VM_FAULT_RETRY, VM_FAULT_FALLBACK: no entry installed. */
const VM_FAULT_NO_MAP = 0x2 | 0x400 | 0x800;
/** VM_FAULT_NEEDDSYNC (include/linux/mm_types.h, 6.1 to 7.x): the insert comes after a sync. */
const VM_FAULT_NEEDDSYNC = 0x2000;
/** The functions dax_finish_sync_fault() inserts through (both families), and their rmap. */
const SYNC_INSERT = /^(insert_pfn|insert_page|vmf_insert_|folio_add_file_rmap_|page_add_file_rmap|dax_)/;

/** Page and folio arguments of the insert and rmap probes, most specific first. */
const PAGE_ARGS = ['page', 'folio'] as const;

/** The pfn an insert probe maps, with `device` false for the zero page or another non-device pfn. */
export function insertedPfn(r: TraceRecord, env: LiftEnv): number | null {
  if (r.kind === 'page_ref') return r.val > 0 && env.world.isDevicePfn(r.pfn) ? r.pfn : null;
  if (r.kind !== 'kprobe') return null;
  return insertProbePfn(r, env.vmemmapBase);
}

/** The insert and rmap functions a DAX fault maps its pfn through (both families). */
export const FAULT_INSERT = /^(insert_pfn|insert_page|vmf_insert_|folio_add_file_rmap_|page_add_file_rmap)/;

/** The pfn an insert or rmap probe's entry names (device or not), or null for another probe. */
export function insertProbePfn(r: KprobeRecord, vmemmapBase: bigint): number | null {
  if (r.probeKind === 'return') return null;
  const fn = probeFunction(r);
  if (!FAULT_INSERT.test(fn)) return null;
  const pfnT = probeBigint(r, 'pfn_t');
  if (pfnT !== null) return pfnOfPfnT(pfnT);
  // v6.17+ vmf_insert_pfn_pmd(vmf, unsigned long pfn, bool write): a plain pfn; a probe
  // that calls the pfn_t argument `pfn` (k612-devdax-devdaxwork.trace.txt:184) has the flags
  const raw = probeBigint(r, 'pfn');
  if (raw !== null) return pfnOfPfnT(raw);
  for (const name of PAGE_ARGS) {
    const pfn = pfnField(r, name, vmemmapBase);
    if (pfn !== null) return pfn;
  }
  return null;
}

/** A fault being read. */
export class FaultBuilder implements Builder {
  readonly kind = 'fault' as const;
  readonly context: string;
  readonly endsAtPhase = false;
  private readonly env: LiftEnv;
  private readonly start: FsDaxRecord;
  private readonly records: TraceRecord[];
  private pfn: number | null = null;
  /**
   * The pfn of the fault's first page_ref increment (a page_ref build), used only when no
   * insert probe names the page: page_ref prints the folio, so a PTE fault of a page in a
   * large folio (a PTE of a PMD-sized DAX entry) shows the head there, while
   * vmf_insert_page_mkwrite() names the page (vmtest 7.3dbg ext4-fsdax-vma.trace.txt:
   * 691-692, pfn 0x48800 then page 0x48810).
   */
  private refPfn: number | null = null;
  private hole = false;
  /** IOMAP_F_SHARED as the fault's dax_insert_entry probe read it (null: no such probe seen). */
  private shared: boolean | null = null;
  private done: FsDaxRecord | null = null;
  /** After a NEEDDSYNC `_done`: reading dax_finish_sync_fault()'s insert. */
  private sync = false;

  constructor(env: LiftEnv, context: string, start: FsDaxRecord) {
    this.env = env;
    this.context = context;
    this.start = start;
    this.records = [start];
  }

  get finished(): boolean {
    return this.done !== null && !this.sync;
  }

  offer(r: TraceRecord): boolean {
    if (this.done !== null) return this.sync && this.offerSync(r);
    if (r.kind === 'marker' || (r.kind === 'fs_dax' && /^dax_(pte|pmd)_fault$/.test(r.event))) return false;
    this.records.push(r);
    if (r.kind === 'fs_dax') {
      if (/^dax_(pte|pmd)_fault_done$/.test(r.event)) {
        this.done = r;
        this.sync = ((r.result?.value ?? 0) & VM_FAULT_NEEDDSYNC) !== 0 || (r.result?.names?.includes('NEEDDSYNC') ?? false);
      }
      if (/load_hole/.test(r.event)) this.hole = true;
      return true;
    }
    if (r.kind === 'kprobe' && probeFunction(r) === 'dax_disassociate_entry') {
      // the old entry of this file's mapping: ties the address_space pointer to the file
      const mapping = probeBigint(r, 'mapping');
      if (mapping !== null) this.env.world.linkMapping(mapping, fileId(this.start.dev, this.start.ino));
    }
    if (r.kind === 'kprobe' && probeFunction(r) === 'dax_insert_entry') {
      // dax_insert_entry(): `shared = iter->iomap.flags & IOMAP_F_SHARED` decides whether
      // dax_associate_entry() takes the shared (reflink) path; the probe reads that word
      const flags = probeBigint(r, 'iomap_flags');
      if (flags !== null) this.shared = (Number(flags) & IOMAP_F_SHARED) !== 0;
      // xas->xa is &mapping->i_pages, 8 bytes into struct address_space (after ->host, 6.1
      // through 7.3): it ties the mapping pointer a later layout break prints to this file,
      // which a pfn cannot when a shared extent puts one page in several files
      const xa = probeBigint(r, 'i_pages');
      if (xa !== null && xa > ADDRESS_SPACE_I_PAGES) this.env.world.linkMapping(xa - ADDRESS_SPACE_I_PAGES, fileId(this.start.dev, this.start.ino));
    }
    this.notePfn(r);
    return true;
  }

  /** The page an insert record maps (see refPfn for a page_ref event's). */
  private notePfn(r: TraceRecord): void {
    if (r.kind === 'page_ref') {
      this.refPfn ??= insertedPfn(r, this.env);
      return;
    }
    const pfn = this.pfn === null ? insertedPfn(r, this.env) : null;
    if (pfn === null) return;
    if (this.env.world.isDevicePfn(pfn)) this.pfn = pfn;
    else this.hole = true;
  }

  /** A record of dax_finish_sync_fault() (see the file comment), up to its `dax_insert_pfn_mkwrite` event. */
  private offerSync(r: TraceRecord): boolean {
    if (r.kind === 'fs_dax') {
      if (/^dax_(pte|pmd)_fault$/.test(r.event)) return false;
      // the writeback of vfs_fsync_range(), then the insert's own event, which ends it
      if (/^dax_insert_pfn_mkwrite/.test(r.event)) this.sync = false;
    } else if (r.kind === 'page_ref') {
      if (!this.env.world.isDevicePfn(r.pfn)) return false;
    } else if (r.kind !== 'kprobe' || isSnapProbe(r) || !SYNC_INSERT.test(probeFunction(r))) return false;
    this.records.push(r);
    this.notePfn(r);
    return true;
  }

  close(): Closed {
    const f = this.start;
    const result = this.done?.result?.value ?? 0;
    if (this.done === null || (result & VM_FAULT_NO_MAP) !== 0 || f.address === null || f.pgoff === null) return strayOnly(this.records);
    const level: Level = f.event === 'dax_pmd_fault' ? 'pmd' : 'pte';
    const mm = mmKey(f);
    const address = Number(f.address);
    const pgoff = Number(f.pgoff);
    const file = fileId(f.dev, f.ino);
    const shared = f.sharing !== 'private';
    const world = this.env.world;
    if (f.vm_start !== null && f.vm_end !== null) {
      const start = Number(f.vm_start);
      world.noteVma(mm, start, Number(f.vm_end), file, pgoff - (address - start) / 4096, shared);
    }
    const vma = world.vmaFor(mm, address, file, pgoff, shared);
    const write = ((f.flags?.value ?? 0) & FAULT_FLAG_WRITE) !== 0 || (f.flags?.names?.includes('WRITE') ?? false);
    const line = f.line;
    let pfn = this.pfn ?? this.refPfn;
    if (pfn === null && !this.hole) {
      // a write fault on a present entry that traced no insert: the pfn it already maps
      const m = world.mappedAt(mm, address);
      if (m) pfn = m.level === 'pte' || level === 'pmd' ? m.pfn : (world.pageAt(mm, address) ?? m.pfn);
    }
    if (pfn === null) {
      if (!this.hole) return strayOnly(this.records);
      return { ops: [{ op: { type: 'dax.hole_read', line, mm, vma, address, file, pgoff }, records: this.records }], stray: [] };
    }
    world.recordFault(mm, address, level, pfn, file, pgoff, shared);
    return {
      ops: [{ op: { type: 'dax.fault', line, mm, vma, address, file, pgoff, pfn, level, write, vmaShared: shared, reflink: this.shared ?? false }, records: this.records }],
      stray: [],
    };
  }
}
