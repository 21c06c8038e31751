/**
 * The shared model interface (ARCHITECTURE.md §3). A model turns an Op into the
 * RefEvents its kernel performs, in the kernel's order, with enter/exit markers for
 * the kernel functions it follows. Every event is folded into the chunk's draft the
 * moment it is emitted, so a rule reads the state as the kernel would at that point.
 */
import type { Op, PgmapType } from '../events/op.ts';
import type { RefEvent, RefEventInit } from '../events/ref-event.ts';
import type { Finding, FindingSink } from '../state/finding.ts';
import type { PageSource } from '../state/accessors.ts';
import type { Txn } from '../state/txn.ts';
import type { Profile } from './profile.ts';

/** What a rule works with while it expands one Op. */
export interface ModelCtx {
  /** The chunk's draft, already holding every event emitted so far. */
  readonly txn: Txn;
  readonly op: Op;
  readonly profile: Profile;
  /** Numbers, folds and records one RefEvent. */
  emit(e: RefEventInit): RefEvent;
  /** Reports a finding that is not a kernel WARN (a hazard the simulator sees). */
  readonly report: FindingSink;
}

/** A model invariant: a kernel check or hazard, run after every Op. */
export interface Invariant {
  readonly name: string;
  readonly severity: Finding['severity'];
  /** The kernel function (or check) it stands for. */
  readonly kernelFunction: string;
  /** Checks the state after `op` given the events it produced. */
  check(ctx: ModelCtx, events: readonly RefEvent[]): void;
}

/** One kernel's refcount rules. */
export interface RefcountModel {
  /** Resolved profile name, e.g. `legacy@6.14`. */
  readonly name: string;
  readonly family: 'legacy' | 'unified';
  /** The kernels it covers, e.g. `v6.10–v6.14`. */
  readonly kernels: string;
  readonly profile: Profile;
  /** Expands an Op in place on the draft (the engine's hot path). */
  apply(ctx: ModelCtx): void;
  /** Pure form: the RefEvents `op` expands to from `state`. */
  expand(op: Op, state: import('../state/sim-state.ts').SimState): RefEvent[];
  readonly invariants: readonly Invariant[];
  /** The refcount of an idle page of that type (spec §3.1, §7). */
  idleRefcount(type: PgmapType): number;
  /** The layout-break scan's busy predicate on a folio (legacy r > 1; unified R − M ≠ 0). */
  isBusy(src: PageSource, pfn: number): boolean;
}
