/**
 * Runner: the pure core of replay. It folds input (RefEvents, or Ops expanded by a
 * model) into chunks of at most `chunkSize` events, commits each chunk to a frozen
 * state, and keeps a checkpoint every `checkpointEvery` inputs so that the state at
 * any input N is a checkpoint plus a short re-fold. No I/O and no clock here.
 */
import type { Op } from '../events/op.ts';
import type { RefEvent, RefEventInit } from '../events/ref-event.ts';
import type { Finding } from '../state/finding.ts';
import { applyPageRefFields, applyRefEvent, pageRefAfter, type PageRefType } from '../state/fold.ts';
import { checkOpBounds } from './op-bounds.ts';
import { createState, type CreateStateOptions, type SimState } from '../state/sim-state.ts';
import { Txn } from '../state/txn.ts';
import type { MutablePage } from '../state/page.ts';
import type { ModelCtx, RefcountModel } from '../models/model.ts';
import { CheckpointStore } from './checkpoint-store.ts';

/** A saved state: the state after `inputs` input elements. */
export interface Checkpoint {
  readonly inputs: number;
  readonly refEvents: number;
  readonly state: SimState;
  /** Opaque position of the next input in its source (a byte offset for files). */
  readonly position?: number;
}

/** Runner options. */
export interface RunnerOptions {
  /** RefEvents per committed chunk (at most 4096, issue #6). */
  readonly chunkSize?: number;
  /** Inputs between checkpoints (default 8192); 0 disables checkpoints. */
  readonly checkpointEvery?: number;
  /**
   * Memory budget of the checkpoints, in bytes (default 40 MiB): the page columns they
   * hold (checkpoint-store.ts: 24 bytes per page changed between two checkpoints, plus
   * a full snapshot now and then, and the page shapes). Past it (or past {@link maxCheckpoints}) every other
   * checkpoint is dropped and the interval doubles, so checkpoints stay within the
   * budget however long the input, while a short input keeps dense checkpoints (and
   * `stateAt` a short re-fold).
   */
  readonly checkpointBytes?: number;
  /** Most checkpoints kept, whatever they cost (default 256). */
  readonly maxCheckpoints?: number;
  /**
   * Only the state after input N will be asked for (`replay --at N`): keep just the
   * last checkpoint at or before N, so a long replay holds one checkpoint, not a budget's worth.
   */
  readonly checkpointAt?: number;
  /** Keep every emitted RefEvent (for callers that print or compare them). */
  readonly recordEvents?: boolean;
  /**
   * The caller reads the open chunk's draft (`draft`) and never a committed state
   * between inputs (diff's lockstep comparison): the draft is then committed only when
   * `state()` asks, not every `chunkSize` events. Nothing can tell the difference (a
   * commit only freezes what the chunk wrote and starts a new draft over it), but a
   * page written again in a later chunk is no longer copied again, nor frozen, nor
   * collected: 25–30% of a diff's CPU time on the bench's input (b). No checkpoints
   * (they are committed states): `checkpointEvery` must be 0. (It commits after all at
   * `maxDraftCopies` page copies, between inputs.)
   */
  readonly draftOnly?: boolean;
  /** Page copies a draftOnly draft holds before it commits (default {@link MAX_DRAFT_COPIES}). */
  readonly maxDraftCopies?: number;
  readonly state?: CreateStateOptions;
}

/** Default RefEvents per chunk. */
export const DEFAULT_CHUNK = 4096;

/**
 * Page copies a draftOnly Runner's draft holds before it commits after all (about 30
 * MiB of pages): bounds its memory where pages go back and forth between shared plain
 * pages and copies (check's page_ref comparer); a diff of the bench's 100 k Ops makes
 * 17.6 k copies a side, so it never reaches it there.
 */
export const MAX_DRAFT_COPIES = 1 << 18;

/**
 * Default inputs between checkpoints: `stateAt` rebuilds a checkpoint's state and
 * re-folds at most 8191 inputs, about 15 ms each at replay's rate on a 65536-page
 * state (issue 16: state at any event under 50 ms).
 */
export const DEFAULT_CHECKPOINT_EVERY = 8192;

/**
 * Default checkpoint memory budget, in bytes: a checkpoint every 8192 inputs over a
 * 2 M-event trace of 65536 pages (the benchmark's input (a): 31 MB), and a
 * 10 M-event replay keeping every checkpoint under 300 MB of peak RSS (BENCHMARKS.md).
 */
export const DEFAULT_CHECKPOINT_BYTES = 40 * 2 ** 20;

/** Default most checkpoints kept. */
export const DEFAULT_MAX_CHECKPOINTS = 256;

/** Folds a stream of inputs; see the file comment. */
export class Runner {
  private committed: SimState;
  private txn: Txn;
  private pending = 0;
  private refSeq = 0;
  private inputs = 0;
  private readonly chunkSize: number;
  private checkpointEvery: number;
  private readonly maxCheckpoints: number;
  private readonly checkpointBytes: number;
  private readonly checkpointAt: number | undefined;
  private readonly store = new CheckpointStore();
  readonly findings: Finding[] = [];
  /** Emitted RefEvents (only with recordEvents). */
  readonly events: RefEvent[] = [];
  private readonly record: boolean;
  private readonly draftOnly: boolean;
  private readonly maxDraftCopies: number;
  private readonly model: RefcountModel | undefined;
  /** One sink for every fold (no closure per event). */
  private readonly sink = (f: Finding): void => void this.findings.push(f);

  constructor(model?: RefcountModel, opts: RunnerOptions = {}, initial?: SimState) {
    this.model = model;
    this.chunkSize = Math.min(opts.chunkSize ?? DEFAULT_CHUNK, DEFAULT_CHUNK);
    this.checkpointEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    this.maxCheckpoints = Math.max(2, opts.maxCheckpoints ?? DEFAULT_MAX_CHECKPOINTS);
    this.checkpointBytes = opts.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES;
    this.checkpointAt = opts.checkpointAt;
    this.record = opts.recordEvents ?? false;
    this.draftOnly = opts.draftOnly ?? false;
    this.maxDraftCopies = opts.maxDraftCopies ?? MAX_DRAFT_COPIES;
    if (this.draftOnly && this.checkpointEvery > 0) throw new Error('Runner: draftOnly keeps no checkpoints (checkpointEvery must be 0)');
    this.committed = initial ?? createState(opts.state ?? stateOptionsOf(model));
    this.txn = new Txn(this.committed);
    if (this.checkpointEvery > 0) {
      this.store.add(0, 0, this.committed, 0);
    }
  }

  /** Number of inputs consumed. */
  get count(): number {
    return this.inputs;
  }

  /** Folds one recorded RefEvent (its own seq is kept). */
  pushRef(e: RefEvent, position?: number): void {
    this.foldOnly(e);
    this.afterInput(position);
  }

  /**
   * Folds a RefEvent that belongs to the next input rather than being one (what a
   * trace replay adds before a recorded event: a memmap_init for a pfn no range
   * covers, a resync `set`). Its seq is kept; no input is counted.
   */
  foldOnly(e: RefEvent): void {
    this.refSeq = e.seq;
    applyRefEvent(this.txn, e, this.sink);
    if (this.record) this.events.push(e);
    this.pending++;
  }

  /**
   * Folds a recorded page_ref event from its fields when that is the whole of its
   * fold ({@link applyPageRefFields}); false when the caller must fold it as a RefEvent
   * with {@link foldOnly} (it reports a finding, or events are recorded). Either way
   * the caller ends the input with {@link endInput}. `page` is `draft.mut(pfn)` of the event's pfn.
   */
  foldPageRef(page: MutablePage, op: PageRefType, val: number, ret: number | null, seq: number): boolean {
    if (this.record || !applyPageRefFields(this.txn, page, op, val, ret)) return false;
    this.refSeq = seq;
    this.pending++;
    return true;
  }

  /**
   * {@link foldPageRef} of a page that `draft.plainRefcount(pfn)` (the call just before)
   * found plain at `before`: the chunk stores the shared plain page of the count after
   * it instead of copying the page (Txn.storePlain), and answers that count. NaN, having
   * changed nothing, where the event must be folded as a RefEvent (it reports a
   * finding, or events are recorded).
   */
  foldPlainPageRef(pfn: number, before: number, op: PageRefType, val: number, ret: number | null, seq: number): number {
    if (this.record) return Number.NaN;
    const after = pageRefAfter(op, before, val, ret);
    if (after !== after) return after;
    this.txn.storePlain(pfn, after);
    this.txn.events++;
    this.refSeq = seq;
    this.pending++;
    return after;
  }

  /**
   * Folds `n` rmap events of one PTE each (add_rmap or remove_rmap at level pte, what
   * folio_add_file_rmap_ptes()/folio_remove_rmap_ptes() do to an order-0 folio) that
   * take the page at pfn, found plain at `refcount` by `draft.plainRefcount(pfn)` just
   * before, to raw `_mapcount` `mapcount`: what foldOnly() of each would give (the rmap
   * rule in fold.ts), with the shared plain page stored once. False, having changed
   * nothing, where they must be folded one by one: events are recorded, or the mapcount
   * is below −1 (an underflow finding).
   */
  foldPlainMapcount(pfn: number, refcount: number, mapcount: number, n: number, seq: number): boolean {
    if (this.record || mapcount < -1) return false;
    this.txn.storePlain(pfn, refcount, mapcount);
    this.txn.events += n;
    this.refSeq = seq;
    this.pending += n;
    return true;
  }

  /** Counts one input whose events were folded with foldOnly/foldPageRef (what pushRef does after its fold). */
  endInput(position?: number): void {
    this.afterInput(position);
  }

  /** Reports a finding the caller detected (e.g. an untraced change). */
  report(f: Finding): void {
    this.findings.push(f);
  }

  /** The current `_refcount` of a page (open chunk included), or undefined where no struct page exists. */
  refcountOf(pfn: number): number | undefined {
    return this.txn.refcountOf(pfn);
  }

  /** The open chunk's draft, for reading (a PageSource with the ranges and world as they are now). */
  get draft(): Txn {
    return this.txn;
  }

  /** Expands one Op with the model and folds its events; returns them. */
  pushOp(op: Op, position?: number): RefEvent[] {
    const model = this.model;
    if (!model) throw new Error('pushOp needs a model');
    const out: RefEvent[] = [];
    const sink = this.sink;
    const ctx: ModelCtx = {
      txn: this.txn,
      op,
      profile: model.profile,
      report: sink,
      emit: (init: RefEventInit) => {
        // the model's own literal becomes the event, completed by two stores: the same keys in
        // the same order as `{ ...init, seq, op }`, without a copy per event (a diff emits about
        // fifty a Op per model). Every init is a fresh object literal in the models, never kept.
        const draft = init as unknown as Record<string, unknown>;
        draft.seq = ++this.refSeq;
        draft.op = op.seq;
        const e = draft as unknown as RefEvent;
        applyRefEvent(this.txn, e, sink);
        out.push(e);
        return e;
      },
    };
    // a count beyond the kernel's bound is an input error, before any page is walked
    checkOpBounds(this.txn.ranges, () => this.txn.readWorld(), op);
    model.apply(ctx);
    for (const inv of model.invariants) inv.check(ctx, out);
    if (this.record) for (const e of out) this.events.push(e);
    this.pending += out.length;
    this.afterInput(position);
    return out;
  }

  private afterInput(position?: number): void {
    this.inputs++;
    // a draftOnly run still commits once its draft holds maxDraftCopies page copies:
    // a page stored shared and plain (Txn.storePlain) and written again is copied again,
    // so a long run could otherwise keep one copy per such write
    if (this.draftOnly ? this.txn.copies >= this.maxDraftCopies : this.pending >= this.chunkSize) this.commit();
    if (this.checkpointEvery > 0 && this.inputs % this.checkpointEvery === 0) {
      if (this.checkpointAt !== undefined) return this.keepOnlyNearest(position);
      this.commit();
      this.store.add(this.inputs, this.refSeq, this.committed, position);
      while (this.store.list.length > 2 && (this.store.list.length > this.maxCheckpoints || this.store.bytes > this.checkpointBytes)) this.thin();
    }
  }

  /**
   * The checkpoints kept, oldest first: input 0 and every `checkpointEvery` inputs (the
   * interval doubles as they are thinned). Each one's `state` is rebuilt when read.
   */
  get checkpoints(): readonly Checkpoint[] {
    return this.store.list;
  }

  /** With checkpointAt: the new checkpoint replaces the last one while it is still at or before N. */
  private keepOnlyNearest(position: number | undefined): void {
    if (this.inputs > this.checkpointAt!) return;
    this.commit();
    this.store.only(this.inputs, this.refSeq, this.committed, position);
  }

  /** Bytes the checkpoints hold (see {@link RunnerOptions.checkpointBytes}). */
  get checkpointBytesHeld(): number {
    return this.store.bytes;
  }

  /** Keeps the checkpoints at multiples of twice the interval (input 0 included) and doubles it. */
  private thin(): void {
    this.checkpointEvery *= 2;
    const every = this.checkpointEvery;
    this.store.thin((c) => c.inputs % every === 0);
  }

  /**
   * Goes back to `state` (one the Runner produced earlier), forgetting the findings
   * raised since there were `findings` of them: the next inputs replay from it. For a
   * checker that must replay an Op again after learning that something happened before
   * it (no checkpoint is kept across a rewind).
   */
  rewind(state: SimState, findings: number): void {
    this.committed = state;
    this.txn = new Txn(state);
    this.pending = 0;
    this.findings.length = Math.min(this.findings.length, findings);
  }

  /** Commits the open chunk (if any) and returns the state after every input so far. */
  state(): SimState {
    this.commit();
    return this.committed;
  }

  /** The number of RefEvents emitted or consumed so far. */
  get refEvents(): number {
    return this.refSeq;
  }

  private commit(): void {
    if (this.pending === 0 && this.txn.events === this.committed.events) return;
    this.committed = this.txn.commit();
    this.txn = new Txn(this.committed);
    this.pending = 0;
  }
}

/** The state options a model's profile implies (tail encoding). */
export function stateOptionsOf(model?: RefcountModel): CreateStateOptions {
  return model ? { tailEncoding: model.profile.tailEncoding } : {};
}

/**
 * `fields` with a `state` getter reading `cp`'s: a checkpoint's state is rebuilt when
 * read (checkpoint-store.ts), so an annotated copy must not read it once and keep it.
 */
export function withStateOf<T extends object>(cp: { readonly state: SimState }, fields: T): T & { readonly state: SimState } {
  return Object.defineProperty(fields, 'state', { get: () => cp.state, enumerable: true }) as T & { readonly state: SimState };
}

/** The checkpoint to restart from for the state after `n` inputs. */
export function checkpointFor<C extends { readonly inputs: number }>(checkpoints: readonly C[], n: number): C | undefined {
  let best: C | undefined;
  for (const c of checkpoints) if (c.inputs <= n && (!best || c.inputs > best.inputs)) best = c;
  return best;
}

/** Pure: folds a RefEvent array (chunked) and returns the state and findings. */
export function foldAll(events: Iterable<RefEvent>, opts: RunnerOptions = {}): { state: SimState; findings: Finding[] } {
  const r = new Runner(undefined, { ...opts, checkpointEvery: 0 });
  for (const e of events) r.pushRef(e);
  return { state: r.state(), findings: r.findings };
}

/** Pure: expands and folds an Op array under a model. */
export function runOps(model: RefcountModel, ops: Iterable<Op>, opts: RunnerOptions = {}, initial?: SimState): { state: SimState; findings: Finding[]; events: RefEvent[] } {
  const r = new Runner(model, { ...opts, checkpointEvery: 0, recordEvents: true }, initial);
  for (const op of ops) r.pushOp(op);
  return { state: r.state(), findings: r.findings, events: r.events };
}

/**
 * Keeps a caller's annotated copy of a Runner's checkpoints in step with them: each
 * new checkpoint is annotated once (`place` adds where its input resumes in the
 * source), and checkpoints the Runner has thinned out are dropped. `annotate` is cheap
 * when nothing changed, so it can run after every input.
 */
export function checkpointTracker<T>(place: (cp: Checkpoint, runner: Runner) => T): { readonly list: T[]; readonly annotate: (runner: Runner) => void } {
  const list: T[] = [];
  const annotated = new Map<Checkpoint, T>();
  let lastSeen: Checkpoint | undefined;
  return {
    list,
    annotate: (runner) => {
      const cps = runner.checkpoints;
      const last = cps[cps.length - 1];
      if (last === lastSeen) return;
      lastSeen = last;
      for (const cp of cps) if (!annotated.has(cp)) annotated.set(cp, place(cp, runner));
      list.length = 0;
      for (const cp of cps) list.push(annotated.get(cp)!);
      for (const cp of annotated.keys()) if (!cps.includes(cp)) annotated.delete(cp);
    },
  };
}
