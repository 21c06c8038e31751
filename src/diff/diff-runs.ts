/**
 * Lockstep diff: one Op stream, two models, one scan. `DiffRunner` steps both models
 * per Op (never two subscriptions to the input) and keeps the first divergence per
 * compared range and class; `diffOps` and the `diffWith` operator wrap it.
 */
import { defer, scan, last, map, type OperatorFunction } from 'rxjs';
import type { Op } from '../events/op.ts';
import type { RefcountModel } from '../models/model.ts';
import { Runner } from '../engine/runner.ts';
import { compareOp, divergenceKey } from './compare.ts';
import { DIVERGENCE_CLASSES, type Divergence, type DivergenceClass } from './divergence.ts';

/** The result of a diff. */
export interface DiffResult {
  readonly models: readonly [string, string];
  readonly ops: number;
  /** First divergence per compared range and class, in Op order. */
  readonly divergences: readonly Divergence[];
  /** Divergences per class (every class present, 0 where none). */
  readonly summary: Readonly<Record<DivergenceClass, number>>;
  /** RefEvents the two models emitted. */
  readonly refEvents: number;
}

/** Options of a diff. */
export interface DiffOptions {
  /** Hide baseline and other pure re-encodings. */
  readonly semantic?: boolean;
}

/** Steps two models over one Op stream. */
export class DiffRunner {
  private readonly a: Runner;
  private readonly b: Runner;
  private readonly seen = new Set<string>();
  private readonly divergences: Divergence[] = [];
  private ops = 0;
  readonly modelA: RefcountModel;
  readonly modelB: RefcountModel;
  private readonly opts: DiffOptions;

  constructor(modelA: RefcountModel, modelB: RefcountModel, opts: DiffOptions = {}) {
    this.modelA = modelA;
    this.modelB = modelB;
    this.opts = opts;
    this.a = new Runner(modelA, { checkpointEvery: 0 });
    this.b = new Runner(modelB, { checkpointEvery: 0 });
  }

  /** Steps both models over one Op and records its new divergences. */
  push(op: Op): void {
    this.ops++;
    const fa = this.a.findings.length;
    const fb = this.b.findings.length;
    const ea = this.a.pushOp(op);
    const eb = this.b.pushOp(op);
    // Compared on the open chunks' drafts: committing a chunk per Op would copy the
    // block index and finalise the world once per Op (the Runners commit every ≤ 4096 events).
    const found = compareOp(
      op,
      { model: this.modelA, state: this.a.draft.view(), events: ea, findings: this.a.findings.slice(fa) },
      { model: this.modelB, state: this.b.draft.view(), events: eb, findings: this.b.findings.slice(fb) },
      (d) => {
        if (this.opts.semantic && d.reencoding) return false;
        const key = divergenceKey(d);
        if (this.seen.has(key)) return false;
        this.seen.add(key);
        return true;
      },
    );
    for (const d of found) this.divergences.push(d);
  }

  /** The diff so far. */
  result(): DiffResult {
    const summary = Object.fromEntries(DIVERGENCE_CLASSES.map((c) => [c, 0])) as Record<DivergenceClass, number>;
    for (const d of this.divergences) summary[d.class]++;
    return { models: [this.modelA.name, this.modelB.name], ops: this.ops, divergences: this.divergences, summary, refEvents: this.a.refEvents + this.b.refEvents };
  }
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
