/**
 * A device-dax fault: dev_dax_huge_fault(vmf, order) (dev_dax_fault() for order 0) to
 * its return. The device's own faults print no fs_dax event; the pfn comes from the
 * insert probe (legacy vmf_insert_pfn_pud/pmd() with a pfn_t, unified
 * vmf_insert_folio_pud/pmd() or vmf_insert_page_mkwrite() with a struct page), the
 * level from the insert or the `order` argument, the file is the device the header
 * names (`# dax0.0:`) and pgoff the page's offset into it. A fault returning anything
 * but VM_FAULT_NOPAGE installed nothing.
 *
 * No stock probe prints a PUD or PMD fault's address (the vmf is on the stack): such a
 * fault is placed at a synthetic address, DEVICE_VA_BASE + its physical address, which
 * no 47- or 48-bit user address reaches, and a later zap is matched to it by the pfn its
 * entry maps (munmap-builder.ts). An insert probe that prints `addr=` gives the real one.
 */
import { PAGE_SIZE, levelOrder } from '../kernel/constants.ts';
import type { Level } from '../events/op.ts';
import { probeBigint, probeNumber } from '../trace/record-fields.ts';
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import type { Builder, Closed, LiftEnv } from './builder.ts';
import { strayOnly } from './builder.ts';
import { insertedPfn } from './fault-builder.ts';
import { mmKey, probeFunction } from './record-view.ts';

/** Where a device fault whose address no probe printed is placed (2^52: above every 48-bit user address). */
export const DEVICE_VA_BASE = 2 ** 52;

const ENTRY: ReadonlySet<string> = new Set(['dev_dax_huge_fault', 'dev_dax_fault', '__dev_dax_pte_fault', '__dev_dax_pmd_fault', '__dev_dax_pud_fault']);
const VM_FAULT_NOPAGE = 0x100;

/** True for a record that opens a device-dax fault. */
export function opensDevdaxFault(r: TraceRecord): r is KprobeRecord {
  return r.kind === 'kprobe' && r.probeKind === 'entry' && ENTRY.has(probeFunction(r));
}

/** The level an insert function maps. */
function levelOfInsert(fn: string): Level | null {
  // 6.1-6.4 name the legacy inserts vmf_insert_pfn_pmd_prot()/vmf_insert_pfn_pud_prot()
  if (/_pud(_prot)?$/.test(fn)) return 'pud';
  if (/_pmd(_prot)?$/.test(fn)) return 'pmd';
  if (/^(insert_pfn|insert_page|vmf_insert_mixed|vmf_insert_page_mkwrite|vmf_insert_pfn)/.test(fn)) return 'pte';
  return null;
}

/** A device-dax fault being read. */
export class DevdaxFaultBuilder implements Builder {
  readonly kind = 'devdax-fault' as const;
  readonly context: string;
  readonly endsAtPhase = false;
  private readonly env: LiftEnv;
  private readonly start: KprobeRecord;
  private readonly records: TraceRecord[];
  private pfn: number | null = null;
  private level: Level | null = null;
  private write = false;
  private address: number | null = null;
  private result: number | null = null;
  private done = false;

  constructor(env: LiftEnv, context: string, start: KprobeRecord) {
    this.env = env;
    this.context = context;
    this.start = start;
    this.records = [start];
    const order = probeNumber(start, 'order');
    if (order === 0 || order === 9 || order === 18) this.level = order === 0 ? 'pte' : order === 9 ? 'pmd' : 'pud';
    // before 6.6 the second argument is enum page_entry_size: PE_SIZE_PTE, _PMD, _PUD
    const peSize = probeNumber(start, 'pe_size');
    if (peSize === 0 || peSize === 1 || peSize === 2) this.level = peSize === 0 ? 'pte' : peSize === 1 ? 'pmd' : 'pud';
    // the recorder's entry probe prints vmf->address (`address=+24(%di)`, struct vm_fault's
    // address member in 6.1 to 7.3): the fault's real place in the mm
    const addr = probeBigint(start, 'address') ?? probeBigint(start, 'addr');
    if (addr !== null) this.address = Number(addr);
  }

  get finished(): boolean {
    return this.done;
  }

  offer(r: TraceRecord): boolean {
    if (this.done || r.kind === 'marker' || r.kind === 'fs_dax') return false;
    if (r.kind === 'page_ref') {
      this.records.push(r);
      return true;
    }
    if (r.kind !== 'kprobe') return false;
    const fn = probeFunction(r);
    if (r.probeKind === 'return') {
      this.records.push(r);
      if (fn === 'dev_dax_huge_fault' || fn === 'dev_dax_fault') {
        this.result = probeNumber(r, 'ret');
        this.done = true;
      }
      return true;
    }
    if (opensDevdaxFault(r) || /^(vmf_insert_|insert_p|folio_add_file_rmap_|get_dev_pagemap)/.test(fn)) {
      this.records.push(r);
      this.note(r, fn);
      return true;
    }
    return false;
  }

  private note(r: KprobeRecord, fn: string): void {
    const pfn = this.pfn === null ? insertedPfn(r, this.env) : null;
    if (pfn !== null && this.env.world.isDevicePfn(pfn)) {
      this.pfn = pfn;
      this.level = levelOfInsert(fn) ?? this.level;
      const write = probeNumber(r, 'write') ?? probeNumber(r, 'mkwrite');
      if (write !== null) this.write = write !== 0;
    }
    const addr = probeBigint(r, 'addr') ?? probeBigint(r, 'address');
    if (addr !== null && this.address === null) this.address = Number(addr);
  }

  close(): Closed {
    const range = this.pfn === null ? undefined : this.env.world.ranges.find((d) => this.pfn! >= d.pfn && this.pfn! < d.pfn + d.nr);
    const ok = this.result === null || this.result === VM_FAULT_NOPAGE;
    if (this.pfn === null || this.level === null || range === undefined || !ok) return strayOnly(this.records);
    const size = 2 ** levelOrder(this.level);
    const head = this.pfn - (this.pfn % size);
    const pgoff = head - range.pfn;
    const address = (this.address ?? DEVICE_VA_BASE + head * PAGE_SIZE) - ((this.address ?? 0) % (size * PAGE_SIZE));
    const mm = mmKey(this.start);
    const vma = { start: address, end: address + size * PAGE_SIZE, shared: true, file: range.pgmap, pgoff };
    this.env.world.recordFault(mm, address, this.level, head, range.pgmap, pgoff, true);
    const op = {
      type: 'dax.fault', line: this.start.line, mm, vma, address, file: range.pgmap, pgoff, pfn: head, level: this.level,
      write: this.write, vmaShared: true, reflink: false,
    } as const;
    return { ops: [{ op, records: this.records }], stray: [] };
  }
}
