/**
 * An Op under construction: the lifter opens one at the first event of a kernel
 * operation (a fault, a GUP walk, an unpin, a layout break, a zap) and offers it every
 * later event of the same context until one does not belong; closing it yields the
 * Ops it lifts to, each with the records that make it up.
 */
import type { Op } from '../events/op.ts';
import type { KernelRelease } from '../trace/kernel-release.ts';
import type { TraceRecord } from '../trace/record-types.ts';
import type { FollLayout } from './gup-flags.ts';
import type { PendingGrab } from './pending.ts';
import type { ForkChild, LiftWorld } from './world.ts';

/** An Op before the stream numbers it. */
export type OpInit = Op extends infer O ? (O extends Op ? Omit<O, 'seq'> : never) : never;

/** One lifted Op with its records. */
export interface LiftedOp {
  readonly op: OpInit;
  readonly records: readonly TraceRecord[];
  /** Names this Op for a later Op's `reenters` (the lifter records its seq). */
  readonly key?: object;
  /** The `key` of an earlier Op this one re-enters: the lifter sets Op.restarts to its seq. */
  readonly reenters?: object;
}

/** What a closed builder produced: Ops, and records that ended up in none. */
export interface Closed {
  readonly ops: readonly LiftedOp[];
  readonly stray: readonly TraceRecord[];
  /** A grab whose Op is known once its pages are released (pending.ts); it goes first. */
  readonly held?: PendingGrab;
  /** A fork whose Op waits for its child's mm (cow-builder.ts): emitted once settled. */
  readonly fork?: ForkChild;
}

/** The kinds of builder. */
export type BuilderKind = 'fault' | 'devdax-fault' | 'gup' | 'unpin' | 'put' | 'break' | 'munmap' | 'cow' | 'fork' | 'mremap' | 'mprotect';

/** An Op under construction. */
export interface Builder {
  readonly kind: BuilderKind;
  /** The context (task, or interrupt on a CPU) it belongs to. */
  readonly context: string;
  /** False for a layout break, which sleeps across other tasks' phases. */
  readonly endsAtPhase: boolean;
  /** Offers a later record of the same context; true when it belongs to this Op. */
  offer(r: TraceRecord): boolean;
  /** True once the kernel operation is over (a fault's `_done` event). */
  readonly finished: boolean;
  close(): Closed;
}

/** What every builder may consult. */
export interface LiftEnv {
  readonly world: LiftWorld;
  readonly release: KernelRelease | null;
  readonly foll: FollLayout;
  readonly vmemmapBase: bigint;
  /** `fs=` of the header, the filesystem whose break-layout function runs. */
  readonly fs: 'ext4' | 'xfs' | undefined;
}

/** The records not lifted into any Op. */
export function strayOnly(records: readonly TraceRecord[]): Closed {
  return { ops: [], stray: records };
}
