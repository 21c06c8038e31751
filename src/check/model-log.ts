/**
 * The replay side of a check: a Runner expanding the lifted Ops with the model, plus a
 * short log of each Op's RefEvents and the state before it, so that the state at any
 * of its `enter`/`exit` markers or page_ref events can be recomputed (a fold from the
 * Op's start) when an observation is matched to it, possibly an Op or two later (a
 * layout break resumed by another task's put).
 */
import type { Op } from '../events/op.ts';
import type { Finding } from '../state/finding.ts';
import { PAGE_REF_TYPES, type RefEvent, type RefEventInit } from '../events/ref-event.ts';
import type { RefcountModel } from '../models/model.ts';
import { Runner } from '../engine/runner.ts';
import { applyRefEvent } from '../state/fold.ts';
import type { PageSource } from '../state/accessors.ts';
import type { SimState } from '../state/sim-state.ts';
import { Txn } from '../state/txn.ts';
import { folioOrder, source } from '../state/accessors.ts';
import type { StateReader } from './read-field.ts';

const PAGE_REF: ReadonlySet<string> = new Set(PAGE_REF_TYPES);

/** One replayed Op. */
export interface LoggedOp {
  /** 0-based position among the Ops replayed. */
  readonly index: number;
  readonly op: Op;
  readonly before: SimState;
  readonly events: readonly RefEvent[];
  /** Events already matched to an observation. */
  readonly used: boolean[];
  /** Findings the Op raised. */
  readonly findings: number;
  /** Findings raised before it (what a replay of it again goes back to). */
  readonly findingsBefore: number;
}

/** A position in the log: an event of an Op (or its start, at −1). */
export interface LogPosition {
  readonly op: LoggedOp;
  readonly at: number;
}

/** Replays Ops and answers "what was the state at this marker". */
export class ModelLog {
  readonly runner: Runner;
  private window: LoggedOp[] = [];
  private next = 0;
  private cursor: { op: LoggedOp; at: number; txn: Txn } | null = null;
  private stateGen = 0;
  /** Findings handed over by takeFindings (the Runner's list holds those raised since). */
  private handed = 0;
  /** The pfns of each logged Op's page_ref events (built when first asked). */
  private readonly pageRefPfns = new WeakMap<LoggedOp, Set<number>>();

  constructor(model: RefcountModel, vmemmapBase?: bigint) {
    // the state's tail words are the recording kernel's: its encoding and its vmemmap
    const state = { tailEncoding: model.profile.tailEncoding, ...(vmemmapBase !== undefined ? { vmemmapBase } : {}) };
    this.runner = new Runner(model, { checkpointEvery: 0, state });
  }

  /** Replays one Op and logs it. */
  push(op: Op): LoggedOp {
    const before = this.runner.state();
    const found = this.findingCount;
    const events = this.runner.pushOp(op);
    const logged: LoggedOp = { index: this.next++, op, before, events, used: events.map(() => false), findings: this.findingCount - found, findingsBefore: found };
    this.window.push(logged);
    this.stateGen++;
    return logged;
  }

  /**
   * Replays the newest Op again with `first` before it (as one logged Op: their events,
   * then its own), from the state before it; returns the new entry, or the old one when
   * it is no longer the newest or events of it were already matched.
   */
  redo(logged: LoggedOp, first: readonly Op[]): LoggedOp {
    // (a redo cannot take back findings already handed over: the checker hands them over only after its redo)
    if (this.window[this.window.length - 1] !== logged || logged.used.some((u) => u) || logged.findingsBefore < this.handed) return logged;
    this.runner.rewind(logged.before, logged.findingsBefore - this.handed);
    const events: RefEvent[] = [];
    for (const op of first) events.push(...this.runner.pushOp(op));
    events.push(...this.runner.pushOp(logged.op));
    const again: LoggedOp = { ...logged, events, used: events.map(() => false), findings: this.findingCount - logged.findingsBefore };
    this.window[this.window.length - 1] = again;
    this.cursor = null;
    // new events and a new state: a search that failed before may succeed now (the
    // checker redoes an Op before matching its observations, so no page_ref
    // observation has searched it yet: see matcher.ts `scanned`)
    this.stateGen++;
    return again;
  }

  /** Findings raised so far, those handed over included. */
  get findingCount(): number {
    return this.handed + this.runner.findings.length;
  }

  /**
   * The findings raised since the last call, in the order raised, forgotten here: a
   * check that decides each one as it comes holds none of them (a trace that raises a
   * finding at every Op would otherwise grow the Runner's list with the input).
   */
  takeFindings(): Finding[] {
    const out = this.runner.findings.splice(0);
    this.handed += out.length;
    return out;
  }

  /**
   * Changes whenever the log gains events or its current state changes (push, adjust):
   * a take() that failed at one generation fails again at the same one.
   */
  get generation(): number {
    return this.stateGen;
  }

  /** Index the next pushed Op will get. */
  get nextIndex(): number {
    return this.next;
  }

  /** The state after everything replayed so far. */
  state(): SimState {
    return this.runner.state();
  }

  /** The current state as a page source. */
  stateSource(): PageSource {
    return source(this.runner.state());
  }

  /** The first unused event of Ops ≥ `from` that `pred` accepts, marked used. */
  take(from: number, pred: (e: RefEvent, op: LoggedOp, at: number) => boolean): LogPosition | null {
    // the window holds consecutive indexes: start at `from` instead of skipping to it
    const first = this.window[0]?.index ?? 0;
    for (let k = Math.max(0, from - first); k < this.window.length; k++) {
      const op = this.window[k]!;
      for (let i = 0; i < op.events.length; i++) {
        if (op.used[i] || !pred(op.events[i]!, op, i)) continue;
        op.used[i] = true;
        return { op, at: i };
      }
    }
    return null;
  }

  /**
   * False when no Op ≥ `from` has a page_ref event of `pfn` (so no page_ref
   * observation of pfn can be taken there): one Set lookup per Op instead of a scan
   * of its events.
   */
  mayHoldPageRef(from: number, pfn: number): boolean {
    const first = this.window[0]?.index ?? 0;
    for (let k = Math.max(0, from - first); k < this.window.length; k++) {
      const op = this.window[k]!;
      let pfns = this.pageRefPfns.get(op);
      if (pfns === undefined) {
        pfns = new Set();
        for (const e of op.events) if (PAGE_REF.has(e.type) && 'pfn' in e) pfns.add(e.pfn);
        this.pageRefPfns.set(op, pfns);
      }
      if (pfns.has(pfn)) return true;
    }
    return false;
  }

  /** The logged Op of an index, while it is in the window. */
  get(index: number): LoggedOp | undefined {
    const first = this.window[0]?.index ?? 0;
    const op = index >= first ? this.window[index - first] : undefined;
    return op?.index === index ? op : undefined;
  }

  /** Reads the state right after event `at` of an Op (−1: before it; events.length − 1: after it). */
  readAt<T>(pos: LogPosition, read: (src: StateReader) => T): T {
    let c = this.cursor;
    if (c === null || c.op !== pos.op || c.at > pos.at) {
      c = { op: pos.op, at: -1, txn: new Txn(pos.op.before) };
      this.cursor = c;
    }
    while (c.at < pos.at) {
      c.at++;
      applyRefEvent(c.txn, pos.op.events[c.at]!, () => undefined);
    }
    return read(c.txn);
  }

  /** Folds sim-only adjustments (a resync to a recorded value) into the state. */
  adjust(events: readonly RefEventInit[]): void {
    for (const e of events) this.runner.pushRef({ ...e, seq: this.runner.refEvents + 1 });
    if (events.length > 0) this.stateGen++;
  }

  /** Forgets Ops before `index` (no observation can match them any more). */
  prune(index: number): void {
    this.window = this.window.filter((o) => o.index >= index);
    if (this.cursor !== null && this.cursor.op.index < index) this.cursor = null;
  }

  /** Ops still in the window (what observations may still be matched to). */
  get windowSize(): number {
    return this.window.length;
  }
}

/** The pfns an Op's events wrote (a folio event covers its pages). */
export function touchedPfns(op: LoggedOp): Set<number> {
  const out = new Set<number>();
  const before = source(op.before);
  for (const e of op.events) touchedBy(e, before, out);
  return out;
}

function touchedBy(e: RefEvent, before: PageSource, out: Set<number>): void {
  switch (e.type) {
    case 'set': case 'mod': case 'mod_and_test': case 'mod_and_return': case 'mod_unless': case 'freeze': case 'unfreeze':
    case 'pin_count': case 'set_mapping': case 'share':
      out.add(e.pfn);
      return;
    case 'add_rmap': case 'remove_rmap':
      out.add(e.pfn);
      for (let i = 0; i < e.nr; i++) out.add(e.page + i);
      return;
    case 'prep_compound':
      for (let i = 0; i < 2 ** e.order; i++) out.add(e.pfn + i);
      return;
    case 'split': {
      const order = Math.max(folioOrder(before, e.pfn), 9);
      for (let i = 0; i < 2 ** order; i++) out.add(e.pfn + i);
      return;
    }
    default:
      return;
  }
}
