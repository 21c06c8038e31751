/**
 * A syscall the recorder probes at its wrapper's entry and return (mremap(), mprotect():
 * their moves and protection changes touch no count, so no page probe shows them). The
 * builder takes every record of the task from the entry to the wrapper's return; the
 * subclass lifts them in close().
 */
import { probeBigint } from '../trace/record-fields.ts';
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import type { Builder, BuilderKind, Closed, LiftEnv } from './builder.ts';
import { isSnapProbe, probeFunction } from './record-view.ts';

export abstract class SyscallBuilder implements Builder {
  abstract readonly kind: BuilderKind;
  readonly context: string;
  readonly endsAtPhase = true;
  protected readonly env: LiftEnv;
  protected readonly records: TraceRecord[] = [];
  protected readonly entry: KprobeRecord;
  /** The wrapper's return value, once its return probe is read. */
  protected ret: bigint | null = null;
  private readonly syscall: string;
  private readonly unreadRet: bigint;

  /** `syscall`: the probed wrapper; `unreadRet`: the value of a return whose `ret` is unreadable. */
  constructor(env: LiftEnv, context: string, r: KprobeRecord, syscall: string, unreadRet: bigint) {
    this.syscall = syscall;
    this.unreadRet = unreadRet;
    this.env = env;
    this.context = context;
    this.entry = r;
    this.records.push(r);
  }

  get finished(): boolean {
    return this.ret !== null;
  }

  offer(r: TraceRecord): boolean {
    if (this.ret !== null || r.kind === 'marker' || isSnapProbe(r)) return false;
    this.records.push(r);
    if (r.kind === 'kprobe' && r.probeKind === 'return' && probeFunction(r) === this.syscall) this.ret = probeBigint(r, 'ret') ?? this.unreadRet;
    return true;
  }

  abstract close(): Closed;
}
