/**
 * step: the pure single-event transition, shaped like xstate's transition():
 * it returns the next state and the findings, and performs nothing.
 */
import type { RefEvent } from '../events/ref-event.ts';
import type { Finding } from '../state/finding.ts';
import { applyRefEvent } from '../state/fold.ts';
import type { SimState } from '../state/sim-state.ts';
import { Txn } from '../state/txn.ts';

/** Folds one RefEvent into `state`. */
export function step(state: SimState, event: RefEvent): [next: SimState, findings: Finding[]] {
  const txn = new Txn(state);
  const findings: Finding[] = [];
  applyRefEvent(txn, event, (f) => findings.push(f));
  return [txn.commit(), findings];
}
