/**
 * The pages a lifted item shows an event touching, told to the evidence collector
 * before the first snap (evidence.ts restingSnap()): a snap value is a resting count
 * only on a page no earlier event touched. A 7.3 recording's setup faults run before its
 * first marker (k73-ext4-daxrace.trace.txt:150-174): insert_page() took the reference
 * that makes the first snap's `r_48050=1` a unified folio mapped once, not a legacy page
 * at rest.
 *
 * From the recorded events alone, not the replayed state: the evidence is gathered
 * before a profile is chosen, and an insert probe whose fault was filtered out is lifted
 * into no Op, so the replay never saw that page change.
 */
import { PMD_ORDER, PUD_ORDER } from '../kernel/constants.ts';
import { insertProbePfn } from '../lift/fault-builder.ts';
import { isSnapProbe, probeFunction } from '../lift/record-view.ts';
import type { LiftItem } from '../lift/types.ts';
import { pageAddrOffset } from '../trace/address.ts';
import type { KprobeRecord } from '../trace/record-types.ts';
import type { EvidenceCollector } from './evidence.ts';

/** Pages a DAX fault maps at each level (pte: one page, pmd: HPAGE_PMD_NR, pud: HPAGE_PUD_NR). */
const LEVEL_ORDER = { pte: 0, pmd: PMD_ORDER, pud: PUD_ORDER } as const;

/** A fs_dax fault tracepoint: a fault that maps some page of the file (which one, only its insert probe or page_ref event says). */
const DAX_FAULT = /^dax_(pte|pmd|pud)_fault/;

/** The order of what a probe on `fn` names: a PMD or PUD function (`vmf_insert_folio_pmd`, `folio_add_file_rmap_pud`) the whole huge page. */
function probeOrder(fn: string): number {
  return fn.includes('pud') ? PUD_ORDER : fn.includes('pmd') ? PMD_ORDER : 0;
}

/** Touches the 2^order block holding pfn. */
function touchBlock(ev: EvidenceCollector, pfn: number, order: number): void {
  const size = 2 ** order;
  ev.touch(pfn - (pfn % size), size);
}

/** A kprobe event's pages: every field pointing into the vmemmap (`page=`, `folio=`, `var=&page->_refcount`) and an insert probe's `pfn=`. */
function probeTouches(ev: EvidenceCollector, r: KprobeRecord, vmemmapBase: bigint): void {
  const order = probeOrder(probeFunction(r));
  for (const v of Object.values(r.fields)) {
    if (typeof v !== 'bigint') continue;
    const at = pageAddrOffset(v, vmemmapBase);
    if (at !== null) touchBlock(ev, at.pfn, order);
  }
  const inserted = insertProbePfn(r, vmemmapBase);
  if (inserted !== null) touchBlock(ev, inserted, order);
}

/** Tells `ev` what pages `item` touched (only while it wants them: before the first snap). */
export function noteTouches(ev: EvidenceCollector, item: LiftItem, vmemmapBase: bigint): void {
  if (!ev.wantsTouches) return;
  if (item.kind === 'op') {
    const op = item.op;
    // a pgmap's registration (the header's ranges, lifter.start()) touches no page: it makes them idle
    if (op.type === 'dax.fault') touchBlock(ev, op.pfn, LEVEL_ORDER[op.level]);
    else if (op.type !== 'pgmap.register' && op.type !== 'pgmap.unregister' && 'pfn' in op) ev.touch(op.pfn, 'nr' in op ? op.nr : 1);
  }
  const records = item.kind === 'op' ? item.records : [item.record];
  for (const r of records) {
    if (r.kind === 'page_ref') ev.touch(r.pfn);
    else if (r.kind === 'kprobe' && !isSnapProbe(r)) probeTouches(ev, r, vmemmapBase);
    else if (r.kind === 'fs_dax') {
      // dax_pmd_insert_mapping's pfn, dax_insert_mapping's radix entry (dax_to_pfn())
      if (r.pfn !== null && r.pfn < 2n ** 52n) touchBlock(ev, Number(r.pfn), PMD_ORDER);
      if (r.entry !== null && !r.entry.empty && !r.entry.zeroPage) touchBlock(ev, r.entry.pfn, r.entry.pmd ? PMD_ORDER : 0);
      // a fault the lifter made no Op of: its page is not named (the insert probe filtered out)
      if (item.kind === 'record' && DAX_FAULT.test(r.event)) ev.touchUnnamed(r.line);
    }
  }
}
