/**
 * The checker: lifted items in, a verdict out. Each Op is replayed through the model;
 * each probe and page_ref observation is located at its marker in the model's events
 * and compared with the simulated value there; each snap line is compared with the
 * state at its position. Observations not located by the next snap line are unknown.
 */
import type { RefcountModel } from '../models/model.ts';
import { contextKey, probeFunction, probePage, isSnapProbe } from '../lift/record-view.ts';
import type { LiftItem } from '../lift/types.ts';
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import { pageAddrToPfn } from '../trace/address.ts';
import { hex, PMD_ORDER, PUD_ORDER } from '../kernel/constants.ts';
import { insertProbePfn } from '../lift/fault-builder.ts';
import { pfnOfPfnT } from '../lift/gup-flags.ts';
import { forEachPage } from '../state/sim-state.ts';
import { compoundHead, folioMaybeDmaPinned, folioNrPages, source, stateView } from '../state/accessors.ts';
import { expectedRet } from './ref-check.ts';
import type { PageLayout } from '../models/kernel-facts.ts';
import type { Profile } from '../models/profile.ts';
import { ModelLog, touchedPfns, type LoggedOp } from './model-log.ts';
import { locate, type Pending } from './matcher.ts';
import { pageRefObservation, probeObservations, snapObservations } from './observations.ts';
import { pageRefMapcount, readField } from './read-field.ts';
import { SnapCheck, recordPfns } from './snap-check.ts';
import { Tally, type TallyOptions } from './tally.ts';
import { UnseenPuts } from './unseen-puts.ts';
import { resyncEvents } from './resync.ts';
import { PgmapBinding, agree } from './words.ts';
import { previousLine } from './record-order.ts';
import { priorCount } from '../trace/page-ref-events.ts';
import type { PageRefRecord } from '../trace/record-types.ts';
import type { Finding } from '../state/finding.ts';
import type { RefEvent } from '../events/ref-event.ts';

/** An event noted on a folio (its head, its pages then): what a later disagreement there may be explained by. */
interface Noted {
  readonly line: number;
  readonly nr: number;
  readonly what: string;
}

/** The note on pfn's folio at or before line, if any (pfn < 0: any note before line). */
function folioHit(notes: ReadonlyMap<number, Noted>, line: number, pfn: number): Noted | undefined {
  if (notes.size === 0) return undefined;
  const own = notes.get(pfn);
  if (own !== undefined && own.line <= line) return own;
  for (const [head, b] of notes) if (b.line <= line && (pfn < 0 || (pfn >= head && pfn < head + b.nr))) return b;
  return undefined;
}

/**
 * Probe events of a GUP walk the lifter takes only after a try_grab_* entry event opened
 * it: a grab's return, and gup_fast_devmap_leaf() (6.12's fast-GUP leaf of a devmap PMD
 * or PUD). Alone, that entry is missing (noteUnlifted).
 */
const GRAB_ONLY = /^(try_grab_folio|try_grab_folio_fast|try_grab_page|gup_fast_devmap_leaf)$/;

/** The Ops a finding names: its own (by seq) and those its message names (`Op #N`, a waiter). */
function namedOps(f: Finding): number[] {
  const out = [f.seq];
  for (const m of f.message.matchAll(/Op #(\d+)/g)) out.push(Number(m[1]));
  return out;
}

/** Ops after which an observation that found no marker is given up as unknown. */
const HORIZON = 64;

/** Options of a checker. */
export interface CheckerOptions {
  readonly vmemmapBase: bigint;
  /** The recording kernel's profile when the model is another's (`--model`): its print formats and offsets. */
  readonly recording?: Profile | null;
  /** Why the trace may miss a put (its put visibility is not full), or null/absent: it sees every put (unseen-puts.ts). */
  readonly unseenPut?: string | null;
  /** What the tally keeps in full and how it tells a loss (TallyOptions); all, and no loss, by default. */
  readonly tally?: TallyOptions;
  /**
   * Told each finding once it is final (after the Op's redo, unseen-puts.ts), with the
   * trace line of the Op that raised it and the lines of the Ops it may name, HORIZON
   * Ops after it was raised (handOver); the checker then forgets it. Absent: the
   * findings stay in `log.runner.findings` (`check --against`, runCheck).
   */
  readonly onFinding?: (f: Finding, line: number | undefined, opLine: (seq: number) => number | undefined) => void;
}

/** Checks one trace's observations against one model. */
export class Checker {
  readonly log: ModelLog;
  readonly tally: Tally;
  /**
   * Trace line of each Op that raised a finding or waits (findings name the Op by seq).
   * With onFinding, only of the Ops something may still name: an undecided finding's Op
   * or the Op its message names, a waiter still in the model (a later missed wakeup
   * names it); see dropOpLines.
   */
  readonly opLines = new Map<number, number>();
  private readonly onFinding: NonNullable<CheckerOptions['onFinding']> | null;
  /** Findings taken from the model, not yet decided (handOver): raised at log index `at`. */
  private readonly undecided: { readonly f: Finding; readonly at: number }[] = [];
  /** With onFinding: how many undecided findings name each Op (raised by it, or `Op #N` in the message). */
  private readonly namedBy = new Map<number, number>();
  /** With onFinding: Ops in opLines that nothing may name any more once the current item is done (dropOpLines). */
  private readonly unnamed = new Set<number>();
  private readonly opLine = (seq: number): number | undefined => this.opLines.get(seq);
  private pending: Pending[] = [];
  /**
   * pending[0..tried) were looked for, and not found, at log generation triedGen: the
   * same search finds nothing until the log changes (a new Op, an adjusted state), so
   * a record that pushes no Op tries only its own observations. Without this, a trace
   * of page_ref events outside any Op re-searched every earlier one at each line
   * (quadratic: issue 16).
   */
  private tried = 0;
  private triedGen = -1;
  private readonly snaps: SnapCheck;
  private readonly base: bigint;
  private readonly mapcountStyle: 'raw' | 'page_mapcount';
  /** The recording kernel's struct page / folio layout (which word a field's offset reads). */
  readonly layout: PageLayout | null;
  /** The recording's pgmap pointers, bound to the model's pgmaps as they are first seen. */
  readonly binding = new PgmapBinding();
  /** Each context's last probe observation: a probe right after it at the same location shares its marker. */
  private readonly lastProbe = new Map<string, { readonly line: number; readonly event: string; readonly locationText: string; readonly pending: Pending }>();
  /** The pfn argument of each context's last entry into a function (a return's lookup key). */
  private readonly entryPfns = new Map<string, number>();
  /** FOLL_GET references whose put_page() may go unseen. */
  private readonly unseen: UnseenPuts;
  /** Probe fields (`line:name`) found below the model by references an unseen put may have dropped: unknown, with the reason. */
  private readonly explained = new Map<string, string>();
  /** A probe event (a kprobe record, snaps included) or an fs_dax tracepoint was read: the lifted Ops are the trace's own. */
  private probeSeen = false;
  /** True once a probe event has been read. */
  get probeEventSeen(): boolean {
    return this.probeSeen;
  }
  /** page_ref events taken while no probe event had been read, and those whose count before differed (see takeUnprobed). */
  pageRefsUnprobed = 0;
  resyncedUnprobed = 0;
  /** Line of each pfn's last page_ref event taken as its own change (an untraced change's window starts there; 0 before its first). */
  private readonly lastRefLine = new Map<number, number>();
  /**
   * page_ref events taken as their own changes after a probe event was read (bare: no
   * probe event of their operation encloses them), those resynced, and the disagreements
   * a bare event made unknown (see takeBare, bareDoubt).
   */
  bareFolded = 0;
  bareResynced = 0;
  bareDoubted = 0;
  /** Bare decrements of one reference replayed as the put_page() the lifter made of them (the model agreeing before them). */
  bareReplayed = 0;
  /** The first bare page_ref event of each folio (its head), in the model's folio at that point: what a later disagreement there may be missing. */
  private readonly bare = new Map<number, Noted>();
  /** The first page_ref event of a lifted Op whose change the model did not make, per folio head (noteUnmodelled), and the findings it made unknown. */
  private readonly unmodelled = new Map<number, Noted>();
  unmodelledDoubted = 0;
  /** The first bare event's line and text (the assumption names it). */
  firstBare: { readonly line: number; readonly what: string } | null = null;
  /**
   * Probe events of an operation whose opening probe events are missing (noteUnlifted),
   * per folio (its first only), the count of such events, the first, and the
   * disagreements they made unknown.
   */
  private readonly unlifted = new Map<number, Noted>();
  unliftedEvents = 0;
  unliftedDoubted = 0;
  firstUnlifted: string | null = null;
  /** The model is a legacy one (6.1–6.14): a DAX fault there takes no reference (noteUnlifted's text). */
  private readonly legacy: boolean;

  constructor(model: RefcountModel, opts: CheckerOptions) {
    this.tally = new Tally({ ...opts.tally, missedSince: (line, pfn) => this.bareDoubt(line, pfn) });
    this.log = new ModelLog(model, opts.vmemmapBase);
    this.base = opts.vmemmapBase;
    this.legacy = model.profile.family === 'legacy';
    const recording = opts.recording ?? model.profile;
    this.mapcountStyle = recording.traceMapcount;
    this.layout = recording.layout;
    this.unseen = new UnseenPuts(opts.unseenPut ?? null);
    this.snaps = new SnapCheck(this.log, this.tally, this.binding, (pfn, sim, rec) => this.snapUnseenPut(pfn, sim, rec));
    this.onFinding = opts.onFinding ?? null;
  }

  /**
   * Hands the findings raised HORIZON Ops ago or earlier to onFinding (see
   * CheckerOptions) and forgets them: the findings held are those of the last HORIZON
   * Ops, not of the trace (the Op lines a finding may name stay in opLines while one may
   * name them: dropOpLines). Called at the end of each item, when no redo can take them
   * back. A finding waits HORIZON Ops before it
   * is decided because a page_ref event before it that the model never made is only
   * known once its observation expires (bound(), up to HORIZON Ops later: noteUnmodelled),
   * and such an event makes the finding unknown (findingDoubt); at the end (`all`), every
   * finding is decided after the last expiry, as before.
   */
  private handOver(all = false): void {
    const tell = this.onFinding;
    if (tell === null) return;
    if (this.log.runner.findings.length > 0) {
      for (const f of this.log.takeFindings()) {
        this.undecided.push({ f, at: this.log.nextIndex });
        for (const seq of namedOps(f)) this.namedBy.set(seq, (this.namedBy.get(seq) ?? 0) + 1);
      }
    }
    const ripe = all ? Number.POSITIVE_INFINITY : this.log.nextIndex - HORIZON - 2;
    let n = 0;
    while (n < this.undecided.length && this.undecided[n]!.at <= ripe) {
      const f = this.undecided[n++]!.f;
      tell(f, this.opLines.get(f.seq), this.opLine);
      for (const seq of namedOps(f)) {
        const left = (this.namedBy.get(seq) ?? 0) - 1;
        if (left > 0) this.namedBy.set(seq, left);
        else {
          this.namedBy.delete(seq);
          this.unnamed.add(seq);
        }
      }
    }
    if (n > 0) this.undecided.splice(0, n);
    this.dropOpLines();
  }

  /**
   * Forgets the line of each Op noted in `unnamed` that nothing can name any more: no
   * undecided finding was raised by it or names it, and it is not a waiter in the model
   * (only a waiter is named by a finding raised later: missed-wakeup). An Op is noted when
   * its last naming finding is handed over, when its wait ends (noteWaitEnds), and when it
   * is logged; so opLines holds the Ops of the last HORIZON Ops' findings and the live
   * waiters, not one number per Op that ever raised a finding or waited.
   */
  private dropOpLines(): void {
    if (this.unnamed.size === 0) return;
    let waiters: ReadonlySet<number> | null = null;
    for (const seq of this.unnamed) {
      if (this.namedBy.has(seq) || !this.opLines.has(seq)) continue;
      waiters ??= new Set(this.log.state().world.waiters.map((w) => w.waiter));
      if (!waiters.has(seq)) this.opLines.delete(seq);
    }
    this.unnamed.clear();
  }

  /** Notes the Ops whose waits the events end (with onFinding: their lines may go, dropOpLines). */
  private noteWaitEnds(events: readonly RefEvent[]): void {
    if (this.onFinding === null) return;
    for (const e of events) if (e.type === 'wait_end') this.unnamed.add(e.waiter);
  }

  /** Takes the next lifted item. */
  onItem(item: LiftItem): void {
    if (item.kind === 'op') {
      if (this.takesUnreplayed(item)) return;
      this.onLogged(this.log.push(item.op), item);
      return;
    }
    this.onRecord(item.record);
  }

  /**
   * Takes an Op the model run already replayed (pipeline.ts: the run stage pushes it
   * into this checker's log, the comparer matches its records' observations).
   */
  onLogged(first: LoggedOp, item: Extract<LiftItem, { kind: 'op' }>): void {
    const logged = this.unseenPutsBefore(first, item);
    this.unseen.note(logged, source(logged.before), this.log.stateSource());
    {
      const added = logged.findings;
      // the lines of Ops that raised findings, or that wait (a finding may name the waiter)
      const waits = logged.events.some((e) => e.type === 'wait');
      if ((added > 0 || waits) && item.op.line !== undefined) {
        this.opLines.set(item.op.seq, item.op.line);
        // kept while a finding of it is undecided or it waits (dropOpLines)
        if (this.onFinding !== null) this.unnamed.add(item.op.seq);
      }
      this.noteWaitEnds(logged.events);
      for (const r of item.records) {
        // a page_ref event is a traced change itself; other records of an Op count through the Op
        if (r.kind === 'page_ref') this.snaps.note([r.pfn]);
        this.queue(r, logged.index, r.line === item.op.line ? logged.index : undefined);
      }
      this.snaps.noteOp(item.op, touchedPfns(logged));
      this.match();
      this.bound();
    }
    this.handOver();
  }

  /**
   * The Op again, after the put_page() Ops of FOLL_GET references its records show
   * dropped before it (unseen-puts.ts): an entry probe reading a folio's `_refcount`
   * below the model's at its marker by no more than the references held. Each such
   * field is then unknown with the reason.
   */
  private unseenPutsBefore(logged: LoggedOp, item: Extract<LiftItem, { kind: 'op' }>): LoggedOp {
    if (!this.unseen.active) return logged;
    const src = source(logged.before);
    const taken = new Set<number>();
    const drops = new Map<number, number>();
    for (const r of item.records) {
      if (r.kind !== 'kprobe' || r.probeKind !== 'entry' || isSnapProbe(r)) continue;
      const fields = probeObservations(r, this.base, this.layout).filter((f) => f.field === 'refcount' && typeof f.recorded === 'number');
      if (fields.length === 0) continue;
      const fn = fields[0]!.fn;
      // the marker this record will be matched to (matcher.ts): its function's next unclaimed entry on the folio, else the Op's start
      const key = probePage(r, this.base);
      let at = logged.events.findIndex((e, i) => !taken.has(i) && e.type === 'enter' && e.fn === fn && (key === null || e.pfn === undefined || compoundHead(src, e.pfn) === compoundHead(src, key)));
      if (at >= 0) taken.add(at);
      else if (r.line === item.op.line) at = -1;
      else continue;
      for (const f of fields) {
        const head = compoundHead(src, f.pfn);
        if (head !== f.pfn || drops.has(head)) continue;
        const sim = this.log.readAt({ op: logged, at }, (s) => readField(s, f.pfn, 'refcount'));
        if (typeof sim !== 'number') continue;
        const why = this.unseen.explain(head, sim, f.recorded as number);
        if (why === null) continue;
        drops.set(head, sim - (f.recorded as number));
        this.explained.set(`${f.line}:${f.name}`, why);
      }
    }
    if (drops.size === 0) return logged;
    const puts = [...drops].flatMap(([head, d]) => this.unseen.puts(head, d, item.op));
    return this.log.redo(logged, puts);
  }

  /** A snap's `_refcount` of a head below the model's by references an unseen put may have dropped: the reason, after dropping them. */
  private snapUnseenPut(pfn: number, simulated: number, recorded: number): string | null {
    if (!this.unseen.active) return null;
    const src = this.log.stateSource();
    if (compoundHead(src, pfn) !== pfn) return null;
    const why = this.unseen.explain(pfn, simulated, recorded);
    if (why === null) return null;
    const last = this.log.get(this.log.nextIndex - 1)?.op;
    for (const op of this.unseen.puts(pfn, simulated - recorded, { seq: last?.seq ?? 0, ...(last?.line !== undefined ? { line: last.line } : {}) })) this.noteWaitEnds(this.log.push(op).events);
    return why;
  }

  /**
   * Takes an Op before the model replays it (pipeline.ts runStage; onItem): true when
   * the checker has taken it itself and it must not be replayed. That is an Op made of
   * page_ref events alone while the trace has shown no probe event (see takeUnprobed).
   */
  takesUnreplayed(item: Extract<LiftItem, { kind: 'op' }>): boolean {
    const wasSeen = this.probeSeen;
    for (const r of item.records) this.noteProbe(r);
    const first = item.records[0];
    if (!wasSeen && !this.probeSeen && first !== undefined && item.records.every((r) => r.kind === 'page_ref')) {
      for (const r of item.records) if (r.kind === 'page_ref') this.takeUnprobed(r);
      this.handOver();
      return true;
    }
    if (!this.probeSeen || first?.kind !== 'page_ref') return false;
    // a put the lifter opened at a bare decrement (put-builder.ts opensPut: one
    // put_page(), val -1): no probe event shows the operation it ends
    const sim = this.log.stateSource().page(first.pfn)?.refcount;
    const prior = priorCount(first);
    if (sim === undefined || prior === null || prior === sim) {
      // the model agrees with the count before it: the put_page() is replayed as lifted
      this.bareReplayed++;
      this.noteBare(first);
      return false;
    }
    // the model's count is not the kernel's before this put: what changed it is missing,
    // so the lifted put (a guess) is not replayed; its events are taken as their own changes
    for (const r of item.records) {
      if (r.kind === 'page_ref') this.takeBare(r);
      else this.onRecord(r);
    }
    this.handOver();
    return true;
  }

  /**
   * A page_ref event no probe event encloses, in a trace that has probe events: part of
   * an operation whose probe events are missing (filtered out, or the probe not
   * enabled). The lifter lifts no Op from it (a put of one reference aside, see
   * takesUnreplayed), so the model has not made its change: it is taken as its own
   * change, as a page_ref-only check takes it (takeUnprobed), and its folio is noted:
   * what the missing operation did besides (a pin, a mapping, a pending grab) the model
   * does not know, so a later disagreement on that folio is unknown (bareDoubt).
   */
  private takeBare(r: PageRefRecord): void {
    this.bareFolded++;
    if (this.foldOwn(r)) this.bareResynced++;
    this.noteBare(r);
  }

  /** Notes a bare page_ref event's folio (its first only). */
  private noteBare(r: PageRefRecord): void {
    const src = this.log.stateSource();
    const head = compoundHead(src, r.pfn);
    if (this.bare.has(head)) return;
    const what = `line ${r.line}: page_ref_${r.op} of pfn 0x${r.pfn.toString(16)} (val ${r.val > 0 ? '+' : ''}${r.val}) with no probe event of its operation around it`;
    this.bare.set(head, { line: r.line, nr: folioNrPages(src, head), what });
    this.firstBare ??= { line: r.line, what };
  }

  /**
   * A page_ref event of a lifted Op whose change the model never made (no event of its
   * kind, pfn and delta among the model's): the kernel's count of its folio went where
   * the model's did not. A finding on that folio after it (decided at the end,
   * pipeline.ts findingDoubt) is unknown, not asserted: the model raised it on a count
   * the kernel did not have. Mismatches are not touched (they are decided as they come).
   */
  private noteUnmodelled(line: number, pfn: number, fn: string, val: number): void {
    const head = compoundHead(this.log.stateSource(), pfn);
    const had = this.unmodelled.get(head);
    if (had !== undefined && had.line <= line) return;
    this.unmodelled.set(head, { line, nr: folioNrPages(this.log.stateSource(), head), what: `line ${line}: ${fn} of pfn 0x${pfn.toString(16)} (val ${val > 0 ? '+' : ''}${val}), a change the model did not make` });
  }

  /** Why a finding on pfn at line is not asserted, or null: a bare page_ref event (bareDoubt) or one the model did not make (noteUnmodelled) came before it on its folio. */
  findingDoubt(line: number, pfn: number): string | null {
    const bare = this.bareDoubt(line, pfn);
    if (bare !== null) return bare;
    const hit = folioHit(this.unmodelled, line, pfn);
    if (hit === undefined) return null;
    this.unmodelledDoubted++;
    return `${hit.what}: the model's count of this folio is not the kernel's from there, so a finding on it is not asserted`;
  }

  /**
   * Why a disagreement on pfn at line is undecidable, or null: a bare page_ref event
   * (takeBare) on its folio came before it, and the operation that event was part of is
   * not in the trace.
   */
  bareDoubt(line: number, pfn: number): string | null {
    const lone = folioHit(this.unlifted, line, pfn);
    if (lone !== undefined) {
      this.unliftedDoubted++;
      return lone.what;
    }
    if (this.bare.size === 0) return null;
    const hit = folioHit(this.bare, line, pfn);
    if (hit === undefined) return null;
    this.bareDoubted++;
    return `${hit.what}: the operation it is part of is missing from the trace (its probe lines filtered out, or the probe not enabled?), so the model's state of this folio may lack what that operation did`;
  }

  /**
   * A probe event that reached the checker as no part of an Op although the lifter lifts
   * it only inside one opened at another probe's event, which is then missing from the
   * trace (its probe lines filtered out, or the probe not enabled):
   *
   * - a DAX fault's insert or rmap (insert_pfn(), vmf_insert_*(), insert_page(),
   *   folio_add_file_rmap_*()): the lifter's FaultBuilder and DevdaxFaultBuilder lift a
   *   fault only from dax_pte_fault / dax_pmd_fault with their _done, or
   *   dev_dax_huge_fault. The fault's mapping and, under the unified model, its
   *   reference (vmf_insert_page_mkwrite() and vmf_insert_folio_pmd() take one) are not
   *   replayed, and on a kernel without page_ref events nothing of it is left bare for
   *   takeBare. The note covers the whole PMD or PUD of a huge insert;
   * - a grab's return (try_grab_folio(_fast)() ret) or gup_fast_devmap_leaf() with no
   *   try_grab_* entry event to open a GUP (gup-builder.ts isGupRecord): the grab's
   *   references or pin are not replayed, so the later unpin or put of them is not the
   *   model's.
   *
   * A later disagreement on that folio is unknown, naming the event. A pfn no pgmap
   * covers (the zero page, another device's insert_pfn()) is no DAX operation and is not
   * noted.
   */
  private noteUnlifted(r: KprobeRecord): void {
    const fn = probeFunction(r);
    const src = this.log.stateSource();
    if (fn === '__bio_release_pages' && r.probeKind === 'entry') {
      this.noteUnpinsUnseen(r);
      return;
    }
    let pfn: number | null;
    let order = 0;
    let missing: string;
    let lacks: string;
    if (GRAB_ONLY.test(fn) && (r.probeKind === 'return' || fn === 'gup_fast_devmap_leaf')) {
      const raw = r.fields['pfn'];
      pfn = probePage(r, this.base) ?? (typeof raw === 'bigint' ? pfnOfPfnT(raw) : null);
      missing = `no GUP the trace shows (no try_grab_* entry event before it`;
      lacks = 'the GUP is not lifted, so the model lacks the references or pin it took on this folio';
    } else {
      pfn = insertProbePfn(r, this.base);
      order = /pud/.test(fn) ? PUD_ORDER : /pmd/.test(fn) ? PMD_ORDER : 0;
      const fault = order === PUD_ORDER ? 'dev_dax_huge_fault' : order === PMD_ORDER ? 'dax_pmd_fault and dax_pmd_fault_done (or dev_dax_huge_fault)' : 'dax_pte_fault and dax_pte_fault_done (or dev_dax_huge_fault)';
      missing = `no fault the trace shows (no ${fault} event around it`;
      // a legacy DAX fault maps a pfn_t devmap entry with insert_pfn() and takes no
      // reference (spec §5.1); what it leaves missing is the mapping a later GUP went through
      lacks = this.legacy
        ? "the fault is not lifted, so the model's state lacks the mapping it made and any GUP reference taken through it (a legacy DAX fault itself takes no reference)"
        : "the fault is not lifted, so the model's state of this folio lacks the mapping and references it made";
    }
    if (pfn === null || src.page(pfn) === undefined) return;
    const head = order > 0 ? pfn - (pfn % 2 ** order) : compoundHead(src, pfn);
    const nr = order > 0 ? 2 ** order : folioNrPages(src, head);
    this.unliftedEvents++;
    if (this.unlifted.has(head)) return;
    const what = `line ${r.line}: ${r.event} of pfn ${hex(pfn)} is part of ${missing}: those probe lines filtered out, or the probe not enabled?)`;
    this.firstUnlifted ??= what;
    this.unlifted.set(head, { line: r.line, nr, what: `${what}: ${lacks}` });
  }

  /**
   * A __bio_release_pages() event the lifter lifted into no Op: the unpin probe events of
   * its folios (unpin_user_folio(), gup_put_folio(): unpin-builder.ts) are missing, their
   * lines filtered out or the probe not enabled. Which folios the bio held is in no event
   * left, so every folio the model holds DMA-pinned (folio_maybe_dma_pinned()) at that
   * point is noted: the kernel may have released those pins, the model has not.
   */
  private noteUnpinsUnseen(r: KprobeRecord): void {
    const src = this.log.stateSource();
    const what = `line ${r.line}: ${r.event} unpins no folio the trace shows (no unpin_user_folio or gup_put_folio event of its folios after it: those probe lines filtered out, or the probe not enabled?)`;
    let noted = false;
    forEachPage(this.log.state().pages, (pfn) => {
      if (compoundHead(src, pfn) !== pfn || !folioMaybeDmaPinned(src, pfn) || this.unlifted.has(pfn)) return;
      this.unlifted.set(pfn, { line: r.line, nr: folioNrPages(src, pfn), what: `${what}: the model still holds the pins of this folio the kernel may have released there` });
      noted = true;
    });
    if (!noted) return;
    this.unliftedEvents++;
    this.firstUnlifted ??= what;
  }

  /** A probe event or an fs_dax tracepoint: the trace shows what the page_ref events are part of. */
  private noteProbe(r: TraceRecord): void {
    if (r.kind === 'kprobe' || r.kind === 'fs_dax') this.probeSeen = true;
  }

  /**
   * A page_ref event read while the trace has shown no probe event and no fs_dax
   * tracepoint (the probe lines filtered out of a recording: `grep page_ref` keeping the
   * header). The lifter can only guess an Op from a bare decrement (lifter.ts opensPut:
   * a put of -val pages) and sees no Op in the increments that preceded it (a gup, a
   * fault's get), so replaying its guess drove the model's count below the kernel's:
   * put-on-freed-page and count mismatches the kernel never had. As a page_ref-only
   * check does (ref-check.ts), the event is its own change: a count before it
   * (count − val) that differs from the model's is an untraced change, the model resynced
   * to it (page_ref_set), then the event is folded and its count compared. Its mapcount
   * is not compared: no fault or unmap of the trace is replayed, so the model's mappings
   * are not the kernel's. Once a probe event has been read, nothing here applies.
   */
  private takeUnprobed(r: PageRefRecord): void {
    this.pageRefsUnprobed++;
    if (this.foldOwn(r)) this.resyncedUnprobed++;
  }

  /**
   * Folds a page_ref event as its own change and compares its count and ret: a count
   * before it (count − val) that differs from the model's is an untraced change, the
   * model resynced to it (page_ref_set). True when it was resynced.
   */
  private foldOwn(r: PageRefRecord): boolean {
    this.snaps.note([r.pfn]);
    const last = this.lastRefLine.get(r.pfn) ?? 0;
    this.lastRefLine.set(r.pfn, r.line);
    const fn = `page_ref_${r.op}`;
    const sim = this.log.stateSource().page(r.pfn)?.refcount;
    if (sim === undefined) {
      this.tally.unknown({ line: r.line, pfn: r.pfn, field: 'count', recorded: r.count, simulated: null, function: fn, reason: `no pgmap covers pfn 0x${r.pfn.toString(16)} (give --pmem START-END)` });
      return false;
    }
    const prior = priorCount(r);
    const resync = prior !== null && prior !== sim;
    if (resync) {
      this.tally.untracedChange(r.pfn, 'count', sim, prior, [last, r.line], fn, 'count before');
      this.log.adjust(resyncEvents(stateView(this.log.state()), r.pfn, 'refcount', sim, prior, r.line, 'count'));
    }
    // what the kernel's page_ref_*() returned, from the count before it (ref-check.ts
    // expectedRet): compared as in a page_ref-only check
    const ret = r.ret === null ? null : expectedRet(r, prior ?? sim);
    this.log.adjust([{ type: r.op, pfn: r.pfn, val: r.val }]);
    const after = this.log.stateSource().page(r.pfn)?.refcount ?? null;
    this.tally.compare(r.line, r.pfn, 'count', r.count, after, fn, after === r.count);
    // firm: ret and the count before it are both recorded, so no missing operation explains a difference
    if (r.ret !== null && ret !== null) this.tally.compare(r.line, r.pfn, 'ret', r.ret, ret, fn, ret === r.ret, true);
    if (after !== null && after !== r.count) this.log.adjust(resyncEvents(stateView(this.log.state()), r.pfn, 'refcount', after, r.count, r.line, 'count'));
    return resync;
  }

  /** Takes a record that is no part of an Op (a snap line, a stray probe event). */
  private onRecord(r: TraceRecord): void {
    this.recordOnly(r);
    this.handOver();
  }

  private recordOnly(r: TraceRecord): void {
    this.noteProbe(r);
    if (r.kind === 'page_ref') {
      // no Op holds it: before any probe event, every page_ref event is (takeUnprobed);
      // after, the probe events of its operation are missing (takeBare)
      if (this.probeSeen) this.takeBare(r);
      else this.takeUnprobed(r);
      return;
    }
    if (r.kind === 'kprobe' && isSnapProbe(r)) {
      this.match();
      this.expire(r.line);
      this.snaps.compare(r.line, snapObservations(r, this.layout, this.base));
      this.log.prune(this.oldestFrom());
      return;
    }
    // an event the lifter could not turn into an Op may still be the change a snap shows
    this.snaps.note(recordPfns(r, this.base));
    if (r.kind === 'kprobe') this.noteUnlifted(r);
    this.queue(r, Math.max(0, this.log.nextIndex - 1), undefined);
    this.match();
  }

  /**
   * Keeps memory bounded without PHASE markers: an observation still not located
   * HORIZON Ops after its own is unknown, and Ops no observation can reach are dropped.
   */
  private bound(): void {
    const oldest = this.log.nextIndex - HORIZON;
    let staleLine = -1;
    for (const p of this.pending) if (p.from < oldest && p.obs.line > staleLine) staleLine = p.obs.line;
    if (staleLine >= 0) this.expire(staleLine + 1, oldest);
    this.log.prune(this.oldestFrom());
  }

  /** The first Op a pending observation may still be matched in (the log keeps it and those after). */
  private oldestFrom(): number {
    // a loop, not Math.min(...spread): the pending list may be longer than the call stack allows
    let min = this.log.nextIndex - 1;
    for (const p of this.pending) if (p.from < min) min = p.from;
    return min;
  }

  /**
   * What the checker holds now, by count: the observations not yet located, the Ops
   * logged for them, the Op lines and unseen-put reasons kept, the findings not yet
   * handed over. Each is bounded by the trace's pending work (Ops in flight, waiters),
   * not by its length (tests assert it).
   */
  get held(): { readonly pending: number; readonly window: number; readonly opLines: number; readonly explained: number; readonly findings: number } {
    return { pending: this.pending.length, window: this.log.windowSize, opLines: this.opLines.size, explained: this.explained.size, findings: this.log.runner.findings.length + this.undecided.length };
  }

  /** Ends the input: what is still not located is unknown. */
  finish(): void {
    this.match();
    this.expire(Number.POSITIVE_INFINITY);
    this.handOver(true);
  }

  private queue(r: TraceRecord, from: number, anchorOf: number | undefined): void {
    if (r.kind === 'page_ref') {
      this.pending.push({ obs: pageRefObservation(r), key: r.pfn, from });
      return;
    }
    if (r.kind !== 'kprobe' || isSnapProbe(r)) return;
    const entryPfn = this.notePfnArgument(r);
    const key = probePage(r, this.base) ?? entryPfn;
    const fields = probeObservations(r, this.base, this.layout, entryPfn);
    if (fields.length === 0) return;
    const obs = { source: 'probe' as const, line: r.line, fn: fields[0]!.fn, at: fields[0]!.at, fields };
    // two probes (two events) on one function entry fire at one hit, one right after the other
    const prev = this.lastProbe.get(contextKey(r));
    const sameHit = prev !== undefined && prev.line === previousLine(r) && prev.event !== r.event && prev.locationText === r.location.text && r.probeKind === 'entry' ? prev.pending : undefined;
    const p: Pending = { obs, key, from, ...(anchorOf !== undefined ? { anchorOf } : {}), ...(sameHit !== undefined ? { sameHit } : {}) };
    this.pending.push(p);
    this.lastProbe.set(contextKey(r), { line: r.line, event: r.event, locationText: r.location.text, pending: p });
  }

  /**
   * A function called with a pfn (get_dev_pagemap(pfn, cached)) returns something about
   * that pfn: the entry's pfn is kept per context and handed to the return.
   */
  private notePfnArgument(r: KprobeRecord): number | null {
    const key = `${contextKey(r)}:${probeFunction(r)}`;
    if (r.probeKind === 'return') return this.entryPfns.get(key) ?? null;
    const v = r.fields['pfn'];
    const pfn = typeof v === 'bigint' && pageAddrToPfn(v, this.base) === null && v < 1n << 40n ? Number(v) : typeof v === 'number' ? v : null;
    if (pfn !== null) this.entryPfns.set(key, pfn);
    return null;
  }

  /** Locates and compares every pending observation whose marker is now in the log. */
  private match(): void {
    const gen = this.log.generation;
    const pending = this.pending;
    // the observations tried at this generation are not found again (see `tried`)
    let w = gen === this.triedGen ? this.tried : 0;
    for (let i = w; i < pending.length; i++) {
      const p = pending[i]!;
      const pos = locate(this.log, p);
      if (pos === null) {
        pending[w++] = p;
        continue;
      }
      p.pos = pos;
      const o = p.obs;
      if (o.source === 'page_ref') {
        const [count, mapcount] = this.log.readAt(pos, (src) => [src.page(o.pfn)?.refcount ?? null, pageRefMapcount(src, o.pfn, this.mapcountStyle)] as const);
        this.tally.compare(o.line, o.pfn, 'count', o.count, count, o.fn, count === o.count);
        if (o.mapcount !== null) this.tally.compare(o.line, o.pfn, 'mapcount', o.mapcount, mapcount, o.fn, mapcount === o.mapcount);
      } else {
        for (const f of o.fields) {
          const sim = this.log.readAt(pos, (src) => readField(src, f.pfn, f.field));
          const why = this.explained.get(`${f.line}:${f.name}`);
          // decided here either way: the reason is not needed again (memory bounded by the pending fields)
          if (why !== undefined) this.explained.delete(`${f.line}:${f.name}`);
          if (why !== undefined && sim !== null) {
            this.tally.unknown({ line: f.line, pfn: f.pfn, field: f.name, recorded: f.recorded, simulated: sim, function: f.fn, reason: why });
            continue;
          }
          this.tally.compare(f.line, f.pfn, f.name, f.recorded, sim, f.fn, sim !== null && agree(f.field, f.recorded, sim, this.binding));
        }
      }
    }
    pending.length = w;
    this.tried = w;
    this.triedGen = gen;
  }

  /** Observations recorded before `line` (and, if given, lifted before Op `before`) that found no marker: unknown. */
  private expire(line: number, before = Number.POSITIVE_INFINITY): void {
    const keep: Pending[] = [];
    const src = stateView(this.log.state());
    for (const p of this.pending) {
      if (p.obs.line >= line || p.from >= before) {
        keep.push(p);
        continue;
      }
      const o = p.obs;
      if (o.source === 'page_ref') {
        this.tally.unknown({ line: o.line, pfn: o.pfn, field: 'count', recorded: o.count, simulated: null, function: o.fn, reason: `no ${o.fn} (pfn ${hex(o.pfn)}, val ${o.val}) among the model's events` });
        this.noteUnmodelled(o.line, o.pfn, o.fn, o.val);
      } else {
        for (const f of o.fields) {
          this.explained.delete(`${f.line}:${f.name}`);
          if (readField(src, f.pfn, f.field) === null) continue;
          this.tally.unknown({ line: f.line, pfn: f.pfn, field: f.name, recorded: f.recorded, simulated: null, function: f.fn, reason: `the model emits no ${f.at} marker of ${f.fn} there` });
        }
      }
    }
    this.pending = keep;
    this.tried = 0;
  }
}
