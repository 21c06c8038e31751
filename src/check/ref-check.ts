/**
 * The comparer of a page_ref-only check: every `page_ref_*` event is a RefEvent with
 * its recorded `val` (spec §9.1), folded into the state of the recording kernel's
 * profile, and every value it printed is an observation compared with that state:
 *
 * - `count` before the event (count − val, what the recorded operation started from):
 *   at a page's first event this is the model's resting count of its pgmap type
 *   (`IDLE_REFCOUNT`: legacy FS DAX 1, unified 0), so a wrong model mismatches here;
 *   later, a difference is a change no event shows (a filter, or lost events): untraced.
 * - `count` after it (what page_ref printed), which then follows;
 * - `mapcount` (raw `_mapcount` from 6.10, `page_mapcount()` before): a legacy DAX
 *   page is never rmapped, so any other value mismatches; under unified an rmap
 *   (`folio_add_file_rmap_*()`) is no page_ref event, so a changed mapcount is unknown
 *   (the reason says so) and the state takes the recorded value;
 * - `ret` of the mod_and_test class (`page_ref_sub_and_test()`: 1 when the count
 *   reached 0; `page_ref_add_unless()`: 1 when it added; `page_ref_freeze()`: 1 when it
 *   froze; `page_ref_sub_return()`: the new count).
 *
 * Compound folios come from the `head` flag, which page_ref prints on a head page: a
 * head the state does not have is a `prep_compound_page()` (unified `dax_folio_init()`),
 * one that lost the flag was split (`dax_folio_reset_order()`); the order is not printed,
 * so it is inferred (an FS DAX folio is PMD-sized; a device-dax one is the pgmap's
 * `vmemmap_shift`) and said as an assumption. A `val=-1024` is one page's pin bias
 * (`GUP_PIN_COUNTING_BIAS`), never 1024 pages.
 *
 * Linear: each event is compared when it arrives, against the state it reads, and
 * nothing is kept per event. Pure (no I/O).
 */
import type { PgmapType } from '../events/op.ts';
import { PAGES_PER_SECTION, hex } from '../kernel/constants.ts';
import type { RefcountModel } from '../models/model.ts';
import { Runner } from '../engine/runner.ts';
import { compoundHead, folioOrder } from '../state/accessors.ts';
import type { DeviceRange } from '../lift/world.ts';
import { priorCount, sectionMemmap, shapeChange, type PageRefRead } from '../trace/page-ref-events.ts';
import { pageRefMapcount } from './read-field.ts';
import { MAX_RESYNC_MAPPINGS, resyncEvents } from './resync.ts';
import { Tally, type TallyOptions } from './tally.ts';
import { PfnTable } from './pfn-table.ts';
import type { Assumptions } from './assumptions.ts';
import type { Finding } from '../state/finding.ts';
import type { LossTracker } from './loss.ts';

/** A page_ref event as the comparer reads it. */
export interface PageRefInput extends PageRefRead {
  readonly line: number;
  /** Recorded `mapcount`, null when not printed. */
  readonly mapcount: number | null;
  /** The `head` flag; null when the flags could not be decoded (trace-cmd hex without a known kernel). */
  readonly head: boolean | null;
}

/** Options of a page_ref comparer. */
export interface RefCheckOptions {
  /** pgmaps the header or --pmem gave (certain). */
  readonly ranges: readonly DeviceRange[];
  /** Infer a pgmap per 128 MiB section for pfns no range covers (else: no struct page). */
  readonly infer: boolean;
  readonly assumptions: Assumptions;
  readonly loss: LossTracker;
  /** How the recording kernel printed page_ref's mapcount. */
  readonly mapcountStyle: 'raw' | 'page_mapcount';
  /** What the tally keeps in full and how it tells a loss (TallyOptions); all, and no loss, by default. */
  readonly tally?: TallyOptions;
  /**
   * Told each finding as the event that raised it is folded, with the event's line
   * (undefined where the event itself raised none: a resync's), which the Runner then
   * forgets: findings do not pile up in memory (FindingTally). Without it they stay in
   * runner.findings, their lines in findingLines.
   */
  readonly onFinding?: (f: Finding, line: number | undefined) => void;
}

/** Compares page_ref events with the folded state; see the file comment. */
export class RefChecker {
  readonly runner: Runner;
  readonly tally: Tally;
  /** Trace line of the event each finding names (by its seq). */
  readonly findingLines = new Map<number, number>();
  private readonly model: RefcountModel;
  private readonly opts: RefCheckOptions;
  /** Line of each pfn's last event (the untraced window's start); 0 at its first event (its resting count compared). */
  private readonly lastLine = new PfnTable();
  private seq = 0;

  constructor(model: RefcountModel, opts: RefCheckOptions) {
    this.model = model;
    this.opts = opts;
    this.tally = new Tally(opts.tally);
    // draftOnly: the comparer reads only the draft, and nothing asks for a committed
    // state between events, so no chunk is committed (a chunk's commit copied every
    // block a 4096-event chunk touched: a quarter of check's allocation on the bench)
    this.runner = new Runner(model, { checkpointEvery: 0, draftOnly: true, state: { tailEncoding: model.profile.tailEncoding } });
    for (const r of opts.ranges) {
      this.runner.foldOnly({ seq: 0, type: 'memmap_init', pfn: r.pfn, nr: r.nr, pgmap: r.pgmap, pgmapType: r.type, refcount: model.idleRefcount(r.type), vmemmapShift: r.vmemmapShift });
    }
  }

  /**
   * Compares and folds one page_ref event. Its evidence of the recording model was
   * taken by the model run (pipeline.ts runStage), which sees every event first.
   */
  push(r: PageRefInput): void {
    const seq = ++this.seq;
    const runner = this.runner;
    const prior = priorCount(r);
    // a plain page (Txn.plainRefcount) has a struct page, and its shape changes only where the event shows PG_head
    const plain = r.head === true ? Number.NaN : runner.draft.plainRefcount(r.pfn);
    let current: number | undefined = plain;
    if (plain !== plain) {
      current = runner.refcountOf(r.pfn);
      if (current === undefined && !this.structPage(r, prior, seq)) {
        this.tally.unknown({ line: r.line, pfn: r.pfn, field: 'count', recorded: r.count, simulated: null, function: `page_ref_${r.op}`, reason: `no pgmap covers pfn ${hex(r.pfn)} (give --pmem START-END)` });
        return;
      }
      // read again only where a struct page or a shape change was folded since
      if (this.shape(r, seq) || current === undefined) current = runner.refcountOf(r.pfn)!;
    }
    const fn = PAGE_REF_FN[r.op];
    const lost = this.opts.loss.since(r.line);
    const last = this.lastLine.get(r.pfn);
    if (prior !== null) {
      if (prior === current) this.tally.matchAt(r.line, r.pfn, 'count before', prior, current, fn);
      else if (lost !== null) this.tally.unknown({ line: r.line, pfn: r.pfn, field: 'count before', recorded: prior, simulated: current, function: fn, reason: lost });
      else if (last === 0) this.tally.mismatch(r.line, r.pfn, 'count before', prior, current, fn);
      else this.tally.untracedChange(r.pfn, 'count', current, prior, [last, r.line], fn, 'count before');
      if (prior !== current) runner.foldOnly({ seq, type: 'set', pfn: r.pfn, val: prior });
    }
    const ret = expectedRet(r, prior ?? current);
    // the recorded ret is compared here (an observation), not left to the fold's finding:
    // the RefEvent is folded without it
    const before = runner.findings.length;
    // folded from its fields as replay folds it (applyPageRefFields); a RefEvent only
    // where it raises a finding, so findings are made in one place (fold.ts)
    // a plain page (Txn.plainRefcount; read again: a resync may have written it) takes the shared page of its new count, no copy
    const before2 = prior === null || prior === current ? plain : runner.draft.plainRefcount(r.pfn);
    let after = before2 === before2 ? runner.foldPlainPageRef(r.pfn, before2, r.op, r.val, null, seq) : Number.NaN;
    // stored as a shared plain page, with the raw `_mapcount` plainRefcount() read (read
    // now: endInput() may commit the chunk, and the next chunk's draft has read no page yet)
    const storedPlain = after === after;
    const plainMap = runner.draft.plainMapcount;
    if (after !== after && !runner.foldPageRef(runner.draft.mut(r.pfn)!, r.op, r.val, null, seq)) {
      runner.foldOnly({ seq, type: r.op, pfn: r.pfn, val: r.val });
    }
    runner.endInput();
    const raised = runner.findings.length > before;
    if (raised && this.opts.onFinding === undefined) this.findingLines.set(seq, r.line);
    if (after !== after) after = runner.refcountOf(r.pfn)!;
    this.compare(r.line, r.pfn, 'count', r.count, after, fn, lost);
    if (r.ret !== null && ret !== null) this.compare(r.line, r.pfn, 'ret', r.ret, ret, fn, lost);
    // a page the fold stored plain, at the count recorded, has that mapcount still:
    // mapcount() need not look the page up again
    const keptPlain = storedPlain && r.count === after;
    if (r.count !== after) runner.foldOnly({ seq, type: 'set', pfn: r.pfn, val: r.count });
    if (r.mapcount !== null) this.mapcount(r, fn, lost, keptPlain ? after : Number.NaN, plainMap);
    this.lastLine.set(r.pfn, r.line);
    if (this.opts.onFinding !== undefined && runner.findings.length > 0) {
      // this event's line where the event itself raised one (its resyncs fold under its seq);
      // a finding of the ranges' memmap_init (seq 0) has none
      for (const f of runner.findings) this.opts.onFinding(f, raised && f.seq === seq ? r.line : undefined);
      runner.findings.length = 0;
    }
  }

  private compare(line: number, pfn: number, field: string, recorded: number, simulated: number, fn: string, lost: string | null): void {
    if (recorded === simulated) this.tally.matchAt(line, pfn, field, recorded, simulated, fn);
    else if (lost !== null) this.tally.unknown({ line, pfn, field, recorded, simulated, function: fn, reason: lost });
    else this.tally.mismatch(line, pfn, field, recorded, simulated, fn);
  }

  /**
   * The recorded mapcount against the model's (see the file comment). `known`: the
   * page's count where push() just stored it plain with raw `_mapcount` `knownMap`,
   * else NaN.
   */
  private mapcount(r: PageRefInput, fn: string, lost: string | null, known: number, knownMap: number): void {
    const src = this.runner.draft;
    // a plain page is order-0: page_mapcount() is its _mapcount + 1 (pageRefMapcount)
    const plain = known === known ? known : src.plainRefcount(r.pfn);
    const rawMap = known === known ? knownMap : src.plainMapcount;
    const sim = plain === plain ? (this.opts.mapcountStyle === 'raw' ? rawMap : rawMap + 1) : pageRefMapcount(src, r.pfn, this.opts.mapcountStyle);
    if (sim === null || r.mapcount === null) return;
    if (sim === r.mapcount) {
      this.tally.matchAt(r.line, r.pfn, 'mapcount', r.mapcount, sim, fn);
      return;
    }
    // a difference: read the page in this draft after all (storePlain() takes the pgmap plainRefcount() read)
    if (known === known) src.plainRefcount(r.pfn);
    if (this.model.profile.family === 'unified' || lost !== null) {
      const reason = lost ?? 'an rmap change (folio_add_file_rmap_*() / folio_remove_rmap_*()) is no page_ref event: the trace cannot show when it happened';
      this.tally.unknown({ line: r.line, pfn: r.pfn, field: 'mapcount', recorded: r.mapcount, simulated: sim, function: fn, reason });
    } else this.tally.mismatch(r.line, r.pfn, 'mapcount', r.mapcount, sim, fn);
    const raw = this.opts.mapcountStyle === 'raw' ? r.mapcount : r.mapcount - 1;
    const simRaw = plain === plain ? rawMap : (src.page(r.pfn)?.mapcount ?? -1);
    const d = raw - simRaw;
    if (Math.abs(d) <= MAX_RESYNC_MAPPINGS && src.readWorld().ptes.size === 0) {
      // what resyncEvents gives where no page table maps a page (a page_ref-only check
      // has none): the rmap events alone, built numbered rather than copied to add the seq
      const type = d > 0 ? 'add_rmap' : 'remove_rmap';
      // a plain order-0 page (its own head) takes the shared page of its new mapcount at once
      if (plain === plain && this.runner.foldPlainMapcount(r.pfn, plain, raw, Math.abs(d), this.seq)) return;
      const head = compoundHead(src, r.pfn);
      for (let i = Math.abs(d); i > 0; i--) this.runner.foldOnly({ type, pfn: head, page: r.pfn, nr: 1, level: 'pte', seq: this.seq });
      return;
    }
    for (const e of resyncEvents(this.runner.draft.view(), r.pfn, 'mapcount', simRaw, raw, r.line, 'mapcount')) this.runner.foldOnly({ ...e, seq: this.seq });
  }

  /**
   * Gives a pfn no range covers a struct page: its 128 MiB section (sparse-vmemmap's
   * unit), of the type its resting count suggests. False when inference is off.
   */
  private structPage(r: PageRefInput, prior: number | null, seq: number): boolean {
    if (!this.opts.infer) return false;
    const type = this.inferType(prior);
    const e = sectionMemmap(r.pfn, this.runner.draft.ranges, { pgmapType: type.type, refcount: this.model.idleRefcount(type.type) }, seq);
    this.runner.foldOnly(e);
    this.opts.assumptions.add(`pfns ${hex(e.pfn)}-${hex(e.pfn + e.nr - 1)} (section ${hex(Math.floor(r.pfn / PAGES_PER_SECTION))}): a ${type.type === 'generic' ? 'devdax' : 'fsdax'} pgmap inferred from the pfns seen (no # pmem: header and no --pmem), ${type.why}`);
    return true;
  }

  /** The pgmap type a first event's resting count points to under this model. */
  private inferType(prior: number | null): { type: PgmapType; why: string } {
    const idleFs = this.model.idleRefcount('fsdax');
    const idleDev = this.model.idleRefcount('generic');
    if (prior !== null && idleFs !== idleDev) {
      if (prior === idleDev) return { type: 'generic', why: `type from its first count ${prior} (the ${this.model.profile.family} device-dax idle)` };
      if (prior === idleFs) return { type: 'fsdax', why: `type from its first count ${prior} (the ${this.model.profile.family} FS DAX idle)` };
    }
    return { type: 'fsdax', why: `type assumed fsdax (${this.model.profile.family} idles FS DAX and device-dax alike, or the first count ${prior ?? 'unknown'} is neither idle)` };
  }

  /** Folds the compound shape the event's `head` flag shows (page-ref-events.ts shapeChange); true when it folded any. */
  private shape(r: PageRefInput, seq: number): boolean {
    const change = shapeChange(this.runner.draft, r, seq);
    for (const e of change.events) this.runner.foldOnly(e);
    if (change.assumption !== null) this.opts.assumptions.add(change.assumption);
    return change.events.length > 0;
  }

  /** The folio order the state holds at a head (for reports). */
  orderAt(pfn: number): number {
    return folioOrder(this.runner.draft, pfn);
  }
}

/** What `ret` the kernel returns for an event that started at count `prior`, or null (no ret). */
export function expectedRet(r: PageRefRead, prior: number): number | null {
  switch (r.op) {
    case 'mod_and_test':
      return prior + r.val === 0 ? 1 : 0;
    case 'mod_and_return':
      return prior + r.val;
    case 'mod_unless':
      // page_ref_add_unless(page, nr, 0): every caller the spec lists passes u = 0
      return prior !== 0 ? 1 : 0;
    case 'freeze':
      return prior === r.val ? 1 : 0;
    default:
      return null;
  }
}

/** The function each page_ref event is named by in observations (one string each, not one per event). */
const PAGE_REF_FN: Readonly<Record<PageRefRead['op'], string>> = {
  set: 'page_ref_set', mod: 'page_ref_mod', mod_and_test: 'page_ref_mod_and_test', mod_and_return: 'page_ref_mod_and_return',
  mod_unless: 'page_ref_mod_unless', freeze: 'page_ref_freeze', unfreeze: 'page_ref_unfreeze',
};
