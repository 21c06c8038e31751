/**
 * One model's run as a timeline: after each Op, the folios whose counts it changed
 * (refcount, mapcount, pincount), the holders it began or ended, and its findings.
 * `export --perfetto` streams these; `report --html` aggregates them. Pure.
 */
import type { Op } from '../events/op.ts';
import type { RefEvent } from '../events/ref-event.ts';
import type { RefcountModel } from '../models/model.ts';
import type { Finding } from '../state/finding.ts';
import { compoundHead, folioMapcount, folioOrder, folioPincount } from '../state/accessors.ts';
import { HoldersRun } from '../holders/run.ts';
import type { HolderChange, HoldersTracker } from '../holders/tracker.ts';
import { folioSpan } from '../diff/folio-view.ts';

/** The counts of one folio after an Op. */
export interface FolioCounts {
  readonly head: number;
  /** folio_order() after the Op. */
  readonly order: number;
  readonly refcount: number;
  readonly mapcount: number;
  /** `_pincount` of a large folio; for order 0 the pins counted by the 1024 bias. */
  readonly pincount: number;
}

/** What one Op did, in one model. */
export interface TimelineStep {
  readonly op: Op;
  /** The Op's time: the trace timestamp (µs) where there is one, else its seq. */
  readonly ts: number;
  readonly folios: readonly FolioCounts[];
  readonly changes: readonly HolderChange[];
  readonly findings: readonly Finding[];
  readonly tracker: HoldersTracker;
}

const PFN_EVENTS = new Set(['set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze', 'add_rmap', 'remove_rmap', 'pin_count', 'prep_compound', 'split', 'free']);

/** Runs ops under model, calling visit after each. `tsOf` gives an Op's time. */
export function runTimeline(model: RefcountModel, ops: Iterable<Op>, tsOf: (op: Op) => number, visit: (s: TimelineStep) => void): HoldersRun {
  const run = timeline(model, tsOf, visit);
  for (const op of ops) run.push(op);
  return run;
}

/** A model's timeline to push Ops into one by one (several models in lockstep), calling visit after each. */
export function timeline(model: RefcountModel, tsOf: (op: Op) => number, visit: (s: TimelineStep) => void): HoldersRun {
  let changes: HolderChange[] = [];
  let seen = 0;
  const run = new HoldersRun(model, {
    onChange: (c) => void changes.push(c),
    onStep: (op: Op, events: readonly RefEvent[], runner, tracker) => {
      const heads = new Set<number>();
      const draft = runner.draft;
      for (const e of events) if (PFN_EVENTS.has(e.type)) heads.add(compoundHead(draft, (e as { pfn: number }).pfn));
      for (const c of changes) heads.add(c.holder.pfn);
      const folios: FolioCounts[] = [];
      for (const head of [...heads].sort((a, b) => a - b)) {
        const refcount = draft.refcountOf(head);
        if (refcount === undefined) continue;
        const pc = folioPincount(draft, head);
        const pins = pc ?? tracker.holdersOf(head).reduce((s, h) => s + h.pins, 0);
        folios.push({ head, order: folioOrder(draft, head), refcount, mapcount: folioMapcount(draft, head), pincount: pins });
      }
      const findings = runner.findings.slice(seen);
      seen = runner.findings.length;
      visit({ op, ts: tsOf(op), folios, changes, findings, tracker });
      changes = [];
    },
  });
  return run;
}

/** The counts of the folios in [lo, hi) of one model, summed (a compared range's counter). */
export function rangeCounts(run: HoldersRun, lo: number, hi: number): Omit<FolioCounts, 'head' | 'order'> {
  const draft = run.runner.draft;
  const view = draft.view();
  let refcount = 0;
  let mapcount = 0;
  let pincount = 0;
  for (let p = lo; p < hi;) {
    const [head, end] = folioSpan(view, p);
    const rc = draft.refcountOf(head);
    if (rc !== undefined) {
      refcount += rc;
      mapcount += folioMapcount(draft, head);
      pincount += folioPincount(draft, head) ?? run.tracker.holdersOf(head).reduce((s, h) => s + h.pins, 0);
    }
    p = Math.max(end, p + 1);
  }
  return { refcount, mapcount, pincount };
}
