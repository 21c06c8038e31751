/**
 * Runs Ops through a model with a HoldersTracker beside it: the model's Runner is
 * unchanged (the fold's hot path pays nothing); the tracker reads each Op's emitted
 * RefEvents and the draft state after the Op. Pure: no node:*, no clock.
 */
import type { Op } from '../events/op.ts';
import type { RefEvent } from '../events/ref-event.ts';
import { Runner } from '../engine/runner.ts';
import type { RefcountModel } from '../models/model.ts';
import { findRange, type SimState } from '../state/sim-state.ts';
import { initialRefcount } from '../state/page.ts';
import { folioPincount, source } from '../state/accessors.ts';
import { HoldersTracker, type Holder, type HolderChange } from './tracker.ts';
import type { OpLines } from '../lift/types.ts';

/** Options of a holders run. */
export interface HoldersRunOptions {
  readonly keepEnded?: boolean;
  /** Op seq → where a lifted Op's records lie (src/lift/types.ts), so a holder cites its page's own grab. */
  readonly opLines?: ReadonlyMap<number, OpLines>;
  readonly onChange?: (c: HolderChange) => void;
  /** Called after each Op is folded and attributed. */
  readonly onStep?: (op: Op, events: readonly RefEvent[], runner: Runner, tracker: HoldersTracker) => void;
}

/** A model run with its holders. */
export class HoldersRun {
  readonly runner: Runner;
  readonly tracker: HoldersTracker;
  private readonly opts: HoldersRunOptions;

  constructor(model: RefcountModel, opts: HoldersRunOptions = {}) {
    this.opts = opts;
    this.runner = new Runner(model, { checkpointEvery: 0 });
    this.tracker = new HoldersTracker({ ...(opts.keepEnded !== undefined ? { keepEnded: opts.keepEnded } : {}), ...(opts.onChange ? { onChange: opts.onChange } : {}), ...(opts.opLines ? { opLines: opts.opLines } : {}) });
  }

  /** Folds one Op and attributes its references. */
  push(op: Op): readonly RefEvent[] {
    const events = this.runner.pushOp(op);
    this.tracker.observe(op, events, this.runner.draft);
    this.opts.onStep?.(op, events, this.runner, this.tracker);
    return events;
  }
}

/** Runs ops (the first `at` of them, when given) and returns the run. */
export function runHolders(model: RefcountModel, ops: Iterable<Op>, opts: HoldersRunOptions & { at?: number } = {}): HoldersRun {
  const run = new HoldersRun(model, opts);
  let n = 0;
  for (const op of ops) {
    if (opts.at !== undefined && n >= opts.at) break;
    run.push(op);
    n++;
  }
  return run;
}

/**
 * Holders of a folio when there are no Ops to attribute to (a RefEvent file or a
 * page_ref trace): the pgmap type's idle reference, and the rest unattributed. A
 * large folio's `_pincount` says how many of that rest are pins; on order 0 a pin is
 * 1024 references (GUP_PIN_COUNTING_BIAS) that 1024 gets would match too, so none is
 * claimed.
 */
export function staticHolders(state: SimState, head: number, refcount: number, why: string): Holder[] {
  const range = findRange(state.ranges, head);
  const idle = range ? Math.min(initialRefcount(range, head), refcount) : 0;
  const out: Holder[] = [];
  if (range && idle > 0) out.push({ id: 1, pfn: head, kind: 'idle', refs: idle, pins: 0, since: 0, origin: `memmap_init (${range.pgmapType})`, pgmap: range.pgmap, inferred: true });
  const pins = Math.max(0, Math.min(folioPincount(source(state), head) ?? 0, refcount - idle));
  if (refcount > idle) out.push({ id: 2, pfn: head, kind: 'unattributed', refs: refcount - idle, pins, since: 0, origin: why, inferred: true });
  return out;
}
