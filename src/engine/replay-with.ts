/**
 * The replay operator: `replayWith` is `scan` over a Runner. All logic stays in the
 * Runner, so it is tested on plain arrays and this wiring once.
 */
import { defaultIfEmpty, defer, from, last, type ObservableInput, type OperatorFunction, scan } from 'rxjs';
import type { Op } from '../events/op.ts';
import type { RefEvent } from '../events/ref-event.ts';
import type { Finding } from '../state/finding.ts';
import type { SimState } from '../state/sim-state.ts';
import type { RefcountModel } from '../models/model.ts';
import { Runner, type RunnerOptions } from './runner.ts';

/** One input of a replay: an Op (expanded by the model) or a RefEvent (folded as is). */
export type ReplayItem =
  | { readonly kind: 'op'; readonly event: Op; readonly position?: number }
  | { readonly kind: 'ref'; readonly event: RefEvent; readonly position?: number };

/** Called after each input is folded (used to annotate checkpoints). */
export type AfterPush = (runner: Runner, item: ReplayItem) => void;

/** Options of a replay. */
export interface ReplayOptions extends RunnerOptions {
  /** The model that expands Ops; also fixes the state's tail encoding. */
  readonly model?: RefcountModel;
  /** The state to start from (a checkpoint's). */
  readonly initial?: SimState;
}

/** Folds one input into the runner; the accumulator of replayWith. */
export function pushItem(runner: Runner, item: ReplayItem): Runner {
  if (item.kind === 'ref') runner.pushRef(item.event, item.position);
  else runner.pushOp(item.event, item.position);
  return runner;
}

/**
 * The replay operator: `scan` with a fresh Runner per subscription. It emits the
 * same (mutable) Runner after every input (and the untouched Runner once for an
 * empty input); take `last()` for the result, or read `runner.count` /
 * `runner.findings` as it goes.
 */
export function replayWith(model?: RefcountModel, opts: RunnerOptions = {}, initial?: SimState, afterPush?: AfterPush): OperatorFunction<ReplayItem, Runner> {
  return (items$) =>
    defer(() => {
      const seed = new Runner(model, opts, initial);
      return items$.pipe(
        scan((runner, item) => {
          pushItem(runner, item);
          afterPush?.(runner, item);
          return runner;
        }, seed),
        defaultIfEmpty(seed),
      );
    });
}

/** What an in-memory replay returns. */
export interface ReplayResult {
  readonly state: SimState;
  readonly findings: readonly Finding[];
  /** Inputs consumed. */
  readonly inputs: number;
  /** RefEvents folded (emitted by the model for Ops). */
  readonly refEvents: number;
}

/** Replays any ObservableInput of items (an array, an iterable, an Observable). */
export async function replay(items: ObservableInput<ReplayItem>, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const { model, initial, ...runnerOpts } = opts;
  return new Promise<ReplayResult>((resolve, reject) => {
    from(items)
      .pipe(replayWith(model, runnerOpts, initial), last())
      .subscribe({
        next: (r) => resolve({ state: r.state(), findings: r.findings, inputs: r.count, refEvents: r.refEvents }),
        error: reject,
      });
  });
}

/** Tags RefEvents as replay items. */
export function refItems(events: Iterable<RefEvent>): ReplayItem[] {
  return Array.from(events, (event) => ({ kind: 'ref', event }) as const);
}

/** Tags Ops as replay items. */
export function opItems(ops: Iterable<Op>): ReplayItem[] {
  return Array.from(ops, (event) => ({ kind: 'op', event }) as const);
}
