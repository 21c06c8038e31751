/**
 * Runner: the pure core of replay. It folds input (RefEvents, or Ops expanded by a
 * model) into chunks of at most `chunkSize` events, commits each chunk to a frozen
 * state, and keeps a checkpoint every `checkpointEvery` inputs so that the state at
 * any input N is a checkpoint plus a short re-fold. No I/O and no clock here.
 */
import type { Op } from '../events/op.ts';
import type { RefEvent, RefEventInit } from '../events/ref-event.ts';
import type { Finding } from '../state/finding.ts';
import { applyRefEvent } from '../state/fold.ts';
import { createState, type CreateStateOptions, type SimState } from '../state/sim-state.ts';
import { Txn } from '../state/txn.ts';
import type { ModelCtx, RefcountModel } from '../models/model.ts';

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
  /** Inputs between checkpoints; 0 disables checkpoints. */
  readonly checkpointEvery?: number;
  /** Keep every emitted RefEvent (for callers that print or compare them). */
  readonly recordEvents?: boolean;
  readonly state?: CreateStateOptions;
}

/** Default RefEvents per chunk. */
export const DEFAULT_CHUNK = 4096;

/** Folds a stream of inputs; see the file comment. */
export class Runner {
  private committed: SimState;
  private txn: Txn;
  private pending = 0;
  private refSeq = 0;
  private inputs = 0;
  private readonly chunkSize: number;
  private readonly checkpointEvery: number;
  readonly findings: Finding[] = [];
  readonly checkpoints: Checkpoint[] = [];
  /** Emitted RefEvents (only with recordEvents). */
  readonly events: RefEvent[] = [];
  private readonly record: boolean;
  private readonly model: RefcountModel | undefined;

  constructor(model?: RefcountModel, opts: RunnerOptions = {}, initial?: SimState) {
    this.model = model;
    this.chunkSize = Math.min(opts.chunkSize ?? DEFAULT_CHUNK, DEFAULT_CHUNK);
    this.checkpointEvery = opts.checkpointEvery ?? 65536;
    this.record = opts.recordEvents ?? false;
    this.committed = initial ?? createState(opts.state ?? stateOptionsOf(model));
    this.txn = new Txn(this.committed);
    if (this.checkpointEvery > 0) this.checkpoints.push({ inputs: 0, refEvents: 0, state: this.committed, position: 0 });
  }

  /** Number of inputs consumed. */
  get count(): number {
    return this.inputs;
  }

  /** Folds one recorded RefEvent (its own seq is kept). */
  pushRef(e: RefEvent, position?: number): void {
    this.refSeq = e.seq;
    applyRefEvent(this.txn, e, (f) => this.findings.push(f));
    if (this.record) this.events.push(e);
    this.pending++;
    this.afterInput(position);
  }

  /** Expands one Op with the model and folds its events; returns them. */
  pushOp(op: Op, position?: number): RefEvent[] {
    const model = this.model;
    if (!model) throw new Error('pushOp needs a model');
    const out: RefEvent[] = [];
    const sink = (f: Finding): void => void this.findings.push(f);
    const ctx: ModelCtx = {
      txn: this.txn,
      op,
      profile: model.profile,
      report: sink,
      emit: (init: RefEventInit) => {
        const e = { ...init, seq: ++this.refSeq, op: op.seq } as RefEvent;
        applyRefEvent(this.txn, e, sink);
        out.push(e);
        return e;
      },
    };
    model.apply(ctx);
    for (const inv of model.invariants) inv.check(ctx, out);
    if (this.record) for (const e of out) this.events.push(e);
    this.pending += out.length;
    this.afterInput(position);
    return out;
  }

  private afterInput(position?: number): void {
    this.inputs++;
    if (this.pending >= this.chunkSize) this.commit();
    if (this.checkpointEvery > 0 && this.inputs % this.checkpointEvery === 0) {
      this.commit();
      this.checkpoints.push({ inputs: this.inputs, refEvents: this.refSeq, state: this.committed, ...(position !== undefined ? { position } : {}) });
    }
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

/** The checkpoint to restart from for the state after `n` inputs. */
export function checkpointFor(checkpoints: readonly Checkpoint[], n: number): Checkpoint | undefined {
  let best: Checkpoint | undefined;
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
