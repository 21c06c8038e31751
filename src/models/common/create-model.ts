/**
 * Builds a RefcountModel from a family's rules table: dispatch by Op type (the
 * table's keys are checked exhaustive by `satisfies RuleTable` in each rules.ts),
 * the pure expand(), and the shared invariants.
 */
import type { Op, OpOf, OpType, PgmapType } from '../../events/op.ts';
import type { RefEvent } from '../../events/ref-event.ts';
import type { ModelCtx, RefcountModel } from '../model.ts';
import type { Profile } from '../profile.ts';
import type { SimState } from '../../state/sim-state.ts';
import type { PageSource } from '../../state/accessors.ts';
import { runOps } from '../../engine/runner.ts';
import { folioPgmap, missedWakeup } from './invariants.ts';
import { endTaskWait } from './waiters.ts';

/** One rule per Op type. */
export type RuleTable = { readonly [K in OpType]: (ctx: ModelCtx, op: OpOf<K>) => void };

/** What a family hands to createModel. */
export interface FamilyDefinition {
  readonly family: 'legacy' | 'unified';
  readonly rules: RuleTable;
  readonly idle: Readonly<Record<PgmapType, number>>;
  readonly isBusy: (src: PageSource, pfn: number) => boolean;
}

/** A model of `profile` following `def`. */
export function createModel(profile: Profile, def: FamilyDefinition): RefcountModel {
  const rules = def.rules as { readonly [K in OpType]: (ctx: ModelCtx, op: Op) => void };
  const model: RefcountModel = {
    name: profile.name,
    family: def.family,
    kernels: profile.to === null ? `v${profile.from}+` : `v${profile.from}–v${profile.to}`,
    profile,
    apply: (ctx) => {
      // the Op's task left any layout-break wait it slept in before running it (endTaskWait())
      endTaskWait(ctx, ctx.op);
      rules[ctx.op.type](ctx, ctx.op);
    },
    expand: (op: Op, state: SimState): RefEvent[] => runOps(model, [op], {}, state).events,
    invariants: [missedWakeup, folioPgmap],
    idleRefcount: (type) => def.idle[type],
    isBusy: def.isBusy,
  };
  return model;
}
