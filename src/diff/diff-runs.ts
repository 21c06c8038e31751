/**
 * Lockstep diff: one Op stream, two models, one scan. `DiffRunner` steps both models
 * per Op (never two subscriptions to the input), keeps the first divergence per
 * compared range and class (`--first`) and every episode of difference; `diffOps` and
 * the `diffWith` operator wrap it.
 */
import type { Finding } from '../state/finding.ts';
import { catchError, defer, scan, last, map, throwError, type OperatorFunction } from 'rxjs';
import type { Op } from '../events/op.ts';
import type { RefcountModel } from '../models/model.ts';
import { Runner } from '../engine/runner.ts';
import type { RefEvent } from '../events/ref-event.ts';
import { hex } from '../kernel/constants.ts';
import type { Waiter } from '../state/world.ts';
import { comparedRanges, compareRaws, stateRaws, ViewCache, waiterPfns, type OpResult, type Raw } from './compare.ts';
import { DIVERGENCE_CLASSES, type Divergence, type DivergenceClass, type Episode, type EpisodeStep, type EpisodeText } from './divergence.ts';
import { headline, stepLines, type SideInput } from './explain.ts';
import { opName } from './op-words.ts';
import { OpEvents } from './actions.ts';
import { inScanOrder, isOpen, OpenIndex } from './open-index.ts';
import { snapshot } from './snapshot.ts';
import { episodeOrder, EpisodeSpill, type EpisodeHead } from './episode-store.ts';

/** The result of a diff. */
export interface DiffResult {
  readonly models: readonly [string, string];
  readonly ops: number;
  /** First divergence per compared range and class, in Op order (the `--first` view). */
  readonly divergences: readonly Divergence[];
  /** Divergences per class (every class present, 0 where none). */
  readonly summary: Readonly<Record<DivergenceClass, number>>;
  /** Every interval in which the models differ, per compared range and class, by start. */
  readonly episodes: readonly Episode[];
  /** RefEvents the two models emitted. */
  readonly refEvents: number;
}

/**
 * A diff whose episodes were kept in an {@link EpisodeSpill} (in report order) rather
 * than in an array: what `dax-refsim diff` and the bench use, in memory that does not
 * grow with the number of episodes. Call `episodes.dispose()` when done.
 */
export interface SpilledDiffResult extends Omit<DiffResult, 'episodes'> {
  readonly episodes: EpisodeSpill;
}

/** Options of a diff. */
export interface DiffOptions {
  /** Hide baseline and other pure re-encodings. */
  readonly semantic?: boolean;
}

/** Changes kept in full at the start and at the end of a long episode. */
const KEEP_CHANGES = 4;

/**
 * An Op's lines on a range as episodes keep them: one object per Op and range, shared by
 * every episode that keeps that step (about half of all steps are kept by more than one:
 * episodes of several classes on one range), so a spill writes its JSON once.
 *
 * A spilling diff keeps only the JSON, made with the lines: the lines are ropes of a few
 * dozen pieces each, and kept until their episode closed (hundreds of Ops later) they
 * were copied into the old generation piece by piece and then read back for the JSON
 * from all over it (a munmap's close cost 70 µs for ~4 KB of text); one flat string
 * made while the pieces are fresh costs a fraction of that.
 */
interface StepText {
  readonly seq: number;
  /** The lines, in a diff kept in memory (a spilling diff's have gone into `json`: NO_LINES). */
  readonly lines: readonly string[];
  /** How many lines the step has. */
  readonly nLines: number;
  /** `JSON.stringify({ seq, lines })`: in a spilling diff, made with the step; else on first use. */
  json: string | undefined;
}

/** A change an open episode keeps: its values, its lines and (spilling) the values' JSON. */
interface Change {
  readonly step: EpisodeStep;
  readonly text: StepText;
  /** `JSON.stringify(step)` in a spilling diff (see Open.startJson), else undefined. */
  readonly json: string | undefined;
}

/** An episode still open. */
interface Open {
  readonly lo: number;
  readonly hi: number;
  readonly raw: Raw;
  readonly start: EpisodeStep;
  /**
   * `JSON.stringify(start)` in a spilling diff, made as the episode opens: the head's
   * JSON is put together from its steps' when it closes (headJson), instead of
   * serialising snapshot strings made hundreds of Ops before, from all over the old
   * generation (see StepText).
   */
  readonly startJson: string | undefined;
  readonly first: Change[];
  readonly last: Change[];
  elided: number;
  readonly text: StepText;
  lastA: string;
  lastB: string;
  /** Set by the OpenIndex (open-index.ts). */
  id: number;
  found: number;
}

/** A divergence the first view reported, listed by lo (see DiffRunner.firstSeen). */
interface Seen {
  readonly hi: number;
  readonly cls: DivergenceClass;
  readonly field: string;
  readonly next: Seen | undefined;
}

/** A range's sides and lines within one Op (see DiffRunner.push), listed by lo. */
interface Explained {
  readonly hi: number;
  readonly next: Explained | undefined;
  readonly s: [SideInput, SideInput];
  /** The Op's lines on the range, once asked for. */
  lines: string[] | undefined;
  text: StepText | undefined;
}

const NO_WAITERS: readonly Waiter[] = [];

/** The waiters on pages of [lo, hi), in list order (the shared empty list where there are none). */
function waitersIn(ws: readonly Waiter[], lo: number, hi: number): readonly Waiter[] {
  if (ws.length === 0) return NO_WAITERS;
  return ws.filter((w) => w.pfn >= lo && w.pfn < hi);
}

const POINT_CLASSES = new Set<DivergenceClass>(['wake', 'finding']);

/** Steps two models over one Op stream. */
export class DiffRunner {
  private readonly a: Runner;
  private readonly b: Runner;
  /**
   * The compared ranges and classes/fields already reported in the first view (the
   * identity compare.ts divergenceKey() names): by lo, hi, class, then field, so a
   * lookup builds no key string (nearly every Op re-reads a known divergence).
   */
  private readonly seen = new Map<number, Seen>();
  private readonly divergences: Divergence[] = [];
  /** Closed episodes: in an array (diffOps), or serialised as they close (a spilling run). */
  private readonly closed: Episode[] = [];
  private readonly spill: EpisodeSpill | undefined;
  /** Open episodes, by the pages of their ranges (open-index.ts). */
  private readonly open = new OpenIndex<Open>();
  private readonly waitersA = new Map<number, number>();
  private readonly waitersB = new Map<number, number>();
  /** The page a waiter (by its Op seq) sleeps on, per side (one function each for every explanation). */
  private readonly waiterPfnA = (w: number): number | undefined => this.waitersA.get(w);
  private readonly waiterPfnB = (w: number): number | undefined => this.waitersB.get(w);
  private ops = 0;
  readonly modelA: RefcountModel;
  readonly modelB: RefcountModel;
  private readonly opts: DiffOptions;

  constructor(modelA: RefcountModel, modelB: RefcountModel, opts: DiffOptions = {}, spill?: EpisodeSpill) {
    this.spill = spill;
    this.modelA = modelA;
    this.modelB = modelB;
    this.opts = opts;
    // draftOnly: push() reads only the drafts, so no chunk is committed (runner.ts)
    this.a = new Runner(modelA, { checkpointEvery: 0, draftOnly: true });
    this.b = new Runner(modelB, { checkpointEvery: 0, draftOnly: true });
  }

  /** Steps both models over one Op and records its divergences and episodes. */
  push(op: Op): void {
    this.ops++;
    const fa = this.a.findings.length;
    const fb = this.b.findings.length;
    const ea = this.a.pushOp(op);
    const eb = this.b.pushOp(op);
    // Compared on the open drafts: committing a chunk per Op would copy the block index
    // and finalise the world once per Op (the Runners are draftOnly: they never commit).
    const ra: OpResult = { model: this.modelA, state: this.a.draft.view(), events: ea, findings: newFindings(this.a.findings, fa), releasedPfns: released(ea, this.waitersA) };
    const rb: OpResult = { model: this.modelB, state: this.b.draft.view(), events: eb, findings: newFindings(this.b.findings, fb), releasedPfns: released(eb, this.waitersB) };
    const ranges = comparedRanges(ra, rb);
    const views = new ViewCache(ra, rb);
    const sole = ranges.length === 1;
    const wa = ra.state.world.waiters;
    const wb = rb.state.world.waiters;
    // each side's events indexed once per Op, on first use (most Ops explain nothing)
    let ia: OpEvents | undefined;
    let ib: OpEvents | undefined;
    // A range's sides and lines, built once per Op: the first view, an open episode and a
    // new episode on the same range all explain it with the same inputs (the waiter maps
    // change only at the end of push), so they share one build.
    // by lo, then a short list by hi (no key string per lookup)
    const explained = new Map<number, Explained>();
    const sides = (lo: number, hi: number): Explained => {
      const first = explained.get(lo);
      for (let x = first; x !== undefined; x = x.next) if (x.hi === hi) return x;
      const { a: va, b: vb } = views.get(lo, hi);
      const x: Explained = {
        hi,
        next: first,
        s: [
          { name: this.modelA.name, events: (ia ??= new OpEvents(ea)), findings: ra.findings, snapshot: snapshot(va, waitersIn(wa, lo, hi)), waiterPfn: this.waiterPfnA },
          { name: this.modelB.name, events: (ib ??= new OpEvents(eb)), findings: rb.findings, snapshot: snapshot(vb, waitersIn(wb, lo, hi)), waiterPfn: this.waiterPfnB },
        ],
        lines: undefined,
        text: undefined,
      };
      explained.set(lo, x);
      return x;
    };
    /** The Op's lines on [lo, hi). */
    const explain = (lo: number, hi: number): readonly string[] => {
      const x = sides(lo, hi);
      return (x.lines ??= stepLines(op, lo, hi, x.s, sole));
    };
    /** The Op's lines on [lo, hi) as episodes keep them: the one StepText of this Op and range (episodes share it, and nothing changes it). */
    const linesOf = (lo: number, hi: number): StepText => {
      const x = sides(lo, hi);
      return (x.text ??= this.stepText(op.seq, explain(lo, hi)));
    };
    const step = (lo: number, hi: number): EpisodeStep => {
      const s = sides(lo, hi).s;
      // two literals rather than a conditional spread (a clone per step); the keys in the same order
      return op.line !== undefined ? { seq: op.seq, op: op.type, line: op.line, a: s[0].snapshot, b: s[1].snapshot } : { seq: op.seq, op: op.type, a: s[0].snapshot, b: s[1].snapshot };
    };
    const raws = ranges.length ? compareRaws(ra, rb, ranges, views) : [];

    // the first view: the first divergence per compared range and class
    for (const r of raws) {
      if (this.opts.semantic && r.reencoding) continue;
      if (!this.firstSeen(r)) continue;
      const d = {
        seq: op.seq, op: op.type, ...(op.line !== undefined ? { line: op.line } : {}),
        pfn: r.lo, pfns: [r.lo, r.hi - 1] as const, class: r.cls, field: r.field, a: r.a, b: r.b, reencoding: r.reencoding,
      };
      const lines = [headline(r.cls, r.field), ...explain(r.lo, r.hi)];
      this.divergences.push({ ...d, explanation: lines.join('\n') });
    }

    // episodes: re-read every open one this Op touched, then open the new ones
    const touched = this.overlapping(ranges);
    // the sorted waiter pages of each side, once per Op (every touched episode re-reads its range)
    let pa: readonly number[] | undefined;
    let pb: readonly number[] | undefined;
    for (const e of touched) {
      const { a: va, b: vb } = views.get(e.lo, e.hi);
      const still = stateRaws(va, vb, (pa ??= waiterPfns(ra.state)), (pb ??= waiterPfns(rb.state)), e.lo, e.hi).find((r) => r.cls === e.raw.cls && r.field === e.raw.field);
      const st = step(e.lo, e.hi);
      if (!still) {
        this.close(e, st, linesOf(e.lo, e.hi));
        continue;
      }
      if (st.a === e.lastA && st.b === e.lastB) continue;
      e.lastA = st.a;
      e.lastB = st.b;
      const change: Change = { step: st, text: linesOf(e.lo, e.hi), json: this.spill ? JSON.stringify(st) : undefined };
      if (e.first.length < KEEP_CHANGES) e.first.push(change);
      else {
        e.last.push(change);
        if (e.last.length > KEEP_CHANGES) {
          e.last.shift();
          e.elided++;
        }
      }
    }
    for (const r of raws) {
      if (this.opts.semantic && r.reencoding) continue;
      const point = POINT_CLASSES.has(r.cls);
      const same = point ? NO_OPEN : sameOpen(touched, r);
      if (same.some((e) => e.lo <= r.lo && r.hi <= e.hi)) continue;
      const st = step(r.lo, r.hi);
      const text = linesOf(r.lo, r.hi);
      if (point) {
        this.keepParts({ pfns: [r.lo, r.hi - 1], class: r.cls, field: r.field, a: r.a, b: r.b, reencoding: r.reencoding, headline: headline(r.cls, r.field), start: st, end: st, changes: [], elided: 0 }, [text]);
        continue;
      }
      // the range changed shape (a folio formed or split across it): the old episode ends here
      for (const e of same) this.close(e, st, this.stepText(op.seq, [`${opName(op)}: the compared range becomes ${pfnRange(r.lo, r.hi)}; continued there.`]));
      this.add({ lo: r.lo, hi: r.hi, raw: r, start: st, startJson: this.spill ? JSON.stringify(st) : undefined, first: [], last: [], elided: 0, text, lastA: st.a, lastB: st.b, id: 0, found: 0 });
    }
    noteWaits(ea, this.waitersA);
    noteWaits(eb, this.waitersB);
  }

  /** True the first time a divergence's range, class and field are seen (and records them). */
  private firstSeen(r: Raw): boolean {
    // one Map lookup and a short list (a lo holds a few his, classes and fields) instead of four lookups
    const first = this.seen.get(r.lo);
    for (let x = first; x !== undefined; x = x.next) if (x.hi === r.hi && x.cls === r.cls && x.field === r.field) return false;
    this.seen.set(r.lo, { hi: r.hi, cls: r.cls, field: r.field, next: first });
    return true;
  }

  /** A step's StepText: a spilling diff keeps its JSON only (see StepText). */
  private stepText(seq: number, lines: readonly string[]): StepText {
    return this.spill ? { seq, lines: NO_LINES, nLines: lines.length, json: JSON.stringify({ seq, lines }) } : { seq, lines, nLines: lines.length, json: undefined };
  }

  private add(e: Open): void {
    this.open.add(e);
  }

  private close(e: Open, end: EpisodeStep | null, endText: StepText | null): void {
    this.open.remove(e);
    const [head, steps, json] = finish(e, end, endText);
    this.keepParts(head, steps, json);
  }

  /**
   * Keeps a closed episode from its head and steps. A spill stores only those, each
   * step's JSON written once however many episodes keep it; an in-memory diff gets
   * episodes of their own (their steps and lines not shared), as before.
   */
  private keepParts(head: EpisodeHead, steps: readonly StepText[], json?: string): void {
    if (this.spill) this.spill.addRecords(head, stepsJson(steps), json);
    else this.closed.push(whole(head, steps));
  }

  /** Open episodes overlapping any of the ranges, once each (in the order open-index.ts gives). */
  private overlapping(ranges: readonly (readonly [number, number])[]): Open[] {
    return this.open.overlapping(ranges);
  }

  /** The counts and first divergences so far, and the open episodes finished (at the end of the input). */
  private totals(): { summary: Record<DivergenceClass, number>; open: Finished[] } {
    const summary = Object.fromEntries(DIVERGENCE_CLASSES.map((c) => [c, 0])) as Record<DivergenceClass, number>;
    for (const d of this.divergences) summary[d.class]++;
    return { summary, open: this.open.all().map((e) => finish(e, null, null)) };
  }

  /** The diff so far (a runner made without a spill). */
  result(): DiffResult {
    if (this.spill) throw new Error('DiffRunner.result: this runner spills its episodes; call spilledResult()');
    const { summary, open } = this.totals();
    const episodes = [...this.closed, ...open.map(([head, steps]) => whole(head, steps))];
    episodes.sort(episodeOrder);
    return { models: [this.modelA.name, this.modelB.name], ops: this.ops, divergences: this.divergences, summary, episodes, refEvents: this.a.refEvents + this.b.refEvents };
  }

  /** The diff at the end of the input (a runner made with a spill; seals it). */
  spilledResult(): SpilledDiffResult {
    if (!this.spill) throw new Error('DiffRunner.spilledResult: this runner keeps its episodes in memory; call result()');
    const { summary, open } = this.totals();
    for (const [head, steps, json] of open) this.spill.addRecords(head, stepsJson(steps), json);
    return { models: [this.modelA.name, this.modelB.name], ops: this.ops, divergences: this.divergences, summary, episodes: this.spill.seal(), refEvents: this.a.refEvents + this.b.refEvents };
  }
}

const NO_OPEN: readonly Open[] = [];
const NO_LINES: readonly string[] = [];
const NO_FINDINGS: readonly Finding[] = [];

/** The findings past the first `from` (the shared empty list where an Op found none, as nearly every Op). */
function newFindings(all: readonly Finding[], from: number): readonly Finding[] {
  return all.length === from ? NO_FINDINGS : all.slice(from);
}

/**
 * The open episodes of r's class and field overlapping r, in the order the index would
 * give for r's range, picked out of the Op's touched list instead of asking the index
 * again per divergence: r lies within the Op's compared ranges, so every open episode
 * overlapping it was touched; episodes closed since are skipped, and one opened since
 * has another class or field or lies apart (a compared range yields one divergence per
 * class and field, and the compared ranges are disjoint).
 */
function sameOpen(touched: readonly Open[], r: Raw): readonly Open[] {
  let out: Open[] | undefined;
  for (const e of touched) if (e.raw.cls === r.cls && e.raw.field === r.field && e.lo < r.hi && r.lo < e.hi && isOpen(e)) (out ??= []).push(e);
  return out === undefined ? NO_OPEN : inScanOrder(out, r.lo);
}

/** The pages of the waiters an Op's `wait_end … woken` events released. */
function released(events: readonly RefEvent[], waiters: ReadonlyMap<number, number>): readonly number[] {
  // nearly every Op releases none: the shared empty list then, not a new one per Op and side
  let out: number[] | undefined;
  for (const e of events) {
    if (e.type !== 'wait_end' || e.how !== 'woken') continue;
    const p = waiters.get(e.waiter);
    if (p !== undefined) (out ??= []).push(p);
  }
  return out ?? NO_PFNS;
}

const NO_PFNS: readonly number[] = [];

/** Records the page each of an Op's `wait` events sleeps on, by waiter. */
function noteWaits(events: readonly RefEvent[], map: Map<number, number>): void {
  for (const e of events) if (e.type === 'wait') map.set(e.waiter, e.pfn);
}

function pfnRange(lo: number, hi: number): string {
  return hi - lo > 1 ? `pfns ${hex(lo)}–${hex(hi - 1)}` : `pfn ${hex(lo)}`;
}

/** A step of one note line (not an Op's explanation): its lines kept (finish() makes it as an episode closes, when only stepsJson() reads it). */
function noteText(seq: number, line: string): StepText {
  return { seq, lines: [line], nLines: 1, json: undefined };
}

/** Each step's JSON as an EpisodeText (`JSON.stringify({ seq, lines })`), written on first use and kept on the step. */
function stepsJson(steps: readonly StepText[]): string[] {
  // the keys as an EpisodeText has them: seq, lines
  return steps.map((t) => (t.json ??= JSON.stringify({ seq: t.seq, lines: t.lines })));
}

/** A finished episode: its head, its steps and, in a spilling diff, the head's JSON. */
type Finished = [EpisodeHead, StepText[], string | undefined];

/** An open episode finished: its head and steps (the Episode less its flattened explanation). */
function finish(e: Open, end: EpisodeStep | null, endText: StepText | null): Finished {
  // the steps' seqs are their Ops' (a StepText is made at its Op: start, change, end)
  const steps: StepText[] = [e.text];
  for (const c of e.first) steps.push(c.text);
  if (e.elided) steps.push(noteText(-1, `… ${e.elided} more change(s) …`));
  for (const c of e.last) steps.push(c.text);
  if (end !== null && endText !== null && endText.nLines) steps.push(endText);
  const head: EpisodeHead = {
    pfns: [e.lo, e.hi - 1], class: e.raw.cls, field: e.raw.field, a: e.raw.a, b: e.raw.b, reencoding: e.raw.reencoding, headline: headline(e.raw.cls, e.raw.field),
    start: e.start, end, changes: [...e.first, ...e.last].map((c) => c.step), elided: e.elided,
  };
  return [head, steps, e.startJson === undefined ? undefined : headJson(head, e.startJson, e.first, e.last)];
}

/**
 * `JSON.stringify(head)` of a spilling diff's episode, put together from the JSON its
 * start and changes got as they were kept (Open.startJson): the keys in the order
 * finish() gives them (test/diff/episode-spill.test.ts compares the two on every episode).
 */
function headJson(head: EpisodeHead, startJson: string, first: readonly Change[], last: readonly Change[]): string {
  const changes = [...first, ...last].map((c) => c.json!).join(',');
  const end = head.end === null ? 'null' : JSON.stringify(head.end);
  return `{"pfns":[${head.pfns[0]},${head.pfns[1]}],"class":${JSON.stringify(head.class)},"field":${JSON.stringify(head.field)},"a":${JSON.stringify(head.a)},"b":${JSON.stringify(head.b)},"reencoding":${head.reencoding},"headline":${JSON.stringify(head.headline)},"start":${startJson},"end":${end},"changes":[${changes}],"elided":${head.elided}}`;
}

/** An episode from its head and steps, as a report reads it: steps and lines of its own. */
function whole(head: EpisodeHead, shared: readonly StepText[]): Episode {
  const steps: EpisodeText[] = shared.map((t) => ({ seq: t.seq, lines: [...t.lines] }));
  return { ...head, steps, explanation: steps.flatMap((t) => t.lines) };
}
/** Pure: the diff of an Op array. */
export function diffOps(a: RefcountModel, b: RefcountModel, ops: Iterable<Op>, opts: DiffOptions = {}): DiffResult {
  const r = new DiffRunner(a, b, opts);
  for (const op of ops) r.push(op);
  return r.result();
}

/** rxjs operator: one scan over the Op stream steps both models; emits the final diff. */
export function diffWith(a: RefcountModel, b: RefcountModel, opts: DiffOptions = {}): OperatorFunction<Op, DiffResult> {
  // defer: a fresh pair of runners per subscription.
  return (ops$) =>
    defer(() => {
      const runner = new DiffRunner(a, b, opts);
      return ops$.pipe(
        scan((r, op) => (r.push(op), r), runner),
        last(null, runner),
        map((r) => r.result()),
      );
    });
}

/**
 * As {@link diffWith}, with the episodes spilled as they close ({@link EpisodeSpill}):
 * memory flat in the number of episodes. The subscriber disposes of the result's episodes.
 */
export function diffWithSpill(a: RefcountModel, b: RefcountModel, opts: DiffOptions & { readonly memoryBytes?: number } = {}): OperatorFunction<Op, SpilledDiffResult> {
  return (ops$) =>
    defer(() => {
      const spill = new EpisodeSpill(opts.memoryBytes === undefined ? {} : { memoryBytes: opts.memoryBytes });
      const runner = new DiffRunner(a, b, opts, spill);
      return ops$.pipe(
        scan((r, op) => (r.push(op), r), runner),
        last(null, runner),
        map((r) => r.spilledResult()),
        // an error before the result: the temporary file goes with it
        catchError((e: unknown) => {
          spill.dispose();
          return throwError(() => e);
        }),
      );
    });
}
