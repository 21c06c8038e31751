/**
 * The `holders` arrays of `replay --format json`: a holders run over the Ops (the
 * first `at`), or, for a RefEvent file or page_ref trace, the idle reference and an
 * unattributed rest (there is no Op to attribute to).
 */
import { from, lastValueFrom, scan, take, defaultIfEmpty, type ObservableInput } from 'rxjs';
import type { Op } from '../events/op.ts';
import type { RefcountModel } from '../models/model.ts';
import type { SimState } from '../state/sim-state.ts';
import { HoldersRun, staticHolders } from './run.ts';
import { holderJson } from './tracker.ts';

type HoldersOf = (head: number, refcount: number) => readonly Record<string, unknown>[];

/** Holders after the Ops (streamed once). */
export async function opHolders(model: RefcountModel, ops: ObservableInput<Op>, at?: number): Promise<HoldersOf> {
  const seed = new HoldersRun(model);
  const src = from(ops);
  const run = await lastValueFrom((at === undefined ? src : src.pipe(take(at))).pipe(scan((r, op) => (r.push(op), r), seed), defaultIfEmpty(seed)));
  const state = run.runner.state();
  return (head) => run.tracker.current(head, state).map(holderJson);
}

/** Holders of a replay without Ops. */
export function refHolders(state: SimState): HoldersOf {
  return (head, refcount) => staticHolders(state, head, refcount, 'page_ref event (no Op to attribute to)').map(holderJson);
}
