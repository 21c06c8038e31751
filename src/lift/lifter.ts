/**
 * The lifter: trace records in, the model-independent Op stream out. Each context
 * (task, or interrupt on a CPU) has at most one Op under construction; a record of
 * that context either belongs to it or closes it and may open the next. Items leave
 * in the order their first record came, once complete: a layout break that sleeps
 * until another task's put wakes it is emitted before that put, as the model needs
 * the waiter to exist when the put runs. Pure: no I/O; constant memory apart from
 * Ops that are still open.
 */
import type { TraceHeader } from '../trace/header-types.ts';
import { parseKernelRelease } from '../trace/kernel-release.ts';
import type { Op } from '../events/op.ts';
import type { TraceRecord } from '../trace/record-types.ts';
import { DEFAULT_VMEMMAP_BASE } from '../kernel/constants.ts';
import { vmemmapBaseOf } from '../trace/vmemmap.ts';
import type { Builder, Closed, LiftEnv, LiftedOp } from './builder.ts';
import { BreakBuilder, opensBreak } from './break-builder.ts';
import { FaultBuilder } from './fault-builder.ts';
import { follLayoutFor } from './gup-flags.ts';
import { GupBuilder, grabLines, isGupRecord } from './gup-builder.ts';
import { MunmapBuilder, opensMunmap } from './munmap-builder.ts';
import { MremapBuilder, opensMremap } from './mremap-builder.ts';
import { MprotectBuilder, opensMprotect } from './mprotect-builder.ts';
import { headerSystems, observability } from './observability.ts';
import { deviceRanges } from './pgmap.ts';
import { PutBuilder, opensPut } from './put-builder.ts';
import { UnpinBuilder, opensUnpin } from './unpin-builder.ts';
import { DevdaxFaultBuilder, opensDevdaxFault } from './devdax-fault-builder.ts';
import { CowBuilder, ForkBuilder, opensCow, opensFork } from './cow-builder.ts';
import { contextKey, inInterrupt, isSnapProbe, mmKey } from './record-view.ts';
import { PhaseCounter } from './phases.ts';
import { resolvedOp } from './pending.ts';
import type { LiftItem, LiftOptions, Observability, PhasePoint } from './types.ts';
import { LiftWorld } from './world.ts';

type Slot = { readonly builder: Builder; closed: Closed | null } | { readonly record: TraceRecord };

/** Open Ops beyond which the oldest is closed, so a stuck context cannot hold the stream. */
const MAX_QUEUE = 65536;
/** Items a held grab (pending.ts) may keep waiting behind it before it is taken as plain GUP. */
const MAX_HELD = 4096;

/** Lifts one trace. */
export class Lifter {
  private readonly env: LiftEnv;
  private readonly open = new Map<string, Builder>();
  private readonly queue: Slot[] = [];
  private seq = 0;
  /** The seq given to each keyed Op (LiftedOp.key); weak, so memory stays constant. */
  private readonly seqOfKey = new WeakMap<object, number>();
  /** Each task's last layout break (BreakBuilder's `prev`): one per task, like `tasks`. */
  private readonly lastBreak = new Map<string, BreakBuilder>();
  /** Each task's last layout break Op (seq) not yet followed by another Op of that task (Op.endsWait): one per task. */
  private readonly breakOfTask = new Map<string, number>();
  /** null when the phases are not kept (LiftOptions.phases). */
  private readonly phaseCounter: PhaseCounter | null;
  private fsDaxSeen = false;
  /** The mms (tasks' thread groups) records came from so far. */
  private readonly tasks = new Set<string>();
  private pageRefSeen = false;
  readonly header: TraceHeader;

  constructor(header: TraceHeader, opts: LiftOptions = {}) {
    this.header = header;
    this.phaseCounter = opts.phases === false ? null : new PhaseCounter();
    const release = header.release ?? (opts.kernel !== undefined ? parseKernelRelease(opts.kernel) : null);
    const fs = header.fs === 'xfs' ? 'xfs' : header.fs === 'ext4' ? 'ext4' : undefined;
    const vmemmapBase = vmemmapBaseOf(header, opts.vmemmapBase, DEFAULT_VMEMMAP_BASE);
    this.env = { world: new LiftWorld(opts.ranges !== undefined && opts.ranges.length > 0 ? opts.ranges : deviceRanges(header, vmemmapBase)), release, foll: follLayoutFor(release), vmemmapBase, fs };
  }

  /** The pgmap.register Ops of the header's device ranges (emitted before any record). */
  start(): LiftItem[] {
    return this.env.world.ranges.map((r) => ({
      kind: 'op' as const,
      op: { type: 'pgmap.register' as const, seq: ++this.seq, pgmap: r.pgmap, pgmapType: r.type, pfn: r.pfn, nr: r.nr, vmemmapShift: r.vmemmapShift },
      records: [],
    }));
  }

  /** Feeds one record; returns the items that became complete. */
  push(r: TraceRecord): LiftItem[] {
    this.noteTask(r);
    if (r.kind === 'fs_dax') this.fsDaxSeen = true;
    if (r.kind === 'page_ref') this.pageRefSeen = true;
    const ctx = contextKey(r);
    const cur = this.open.get(ctx);
    if (cur && !cur.finished && cur.offer(r)) return this.flush();
    if (cur) this.close(ctx);
    const boundary = r.kind === 'marker' || isSnapProbe(r);
    if (boundary) {
      this.notePhase(r);
      // a phase boundary ends every short operation still open elsewhere
      for (const [k, b] of [...this.open]) if (b.endsAtPhase) this.close(k);
    }
    const b = boundary ? null : this.opener(ctx, r);
    if (b) {
      this.open.set(ctx, b);
      this.queue.push({ builder: b, closed: null });
    } else this.queue.push({ record: r });
    if (this.queue.length > MAX_QUEUE) this.closeOldest();
    if (this.queue.length > MAX_HELD) this.settleHeld();
    return this.flush();
  }

  /** Ends the input: closes every open Op, takes every grab still held as plain GUP, and returns the rest. */
  end(): LiftItem[] {
    for (const k of [...this.open.keys()]) this.close(k);
    this.env.world.pending.settleAll();
    for (const f of this.env.world.forks.splice(0)) f.settled = true;
    return this.flush();
  }

  /** A grab at the head of the queue has held it too long: it was plain GUP (a fork: its child was not seen). */
  private settleHeld(): void {
    const head = this.queue[0];
    if (head !== undefined && 'builder' in head && head.closed?.held?.fate === 'pending') head.closed.held.fate = 'gup';
    if (head !== undefined && 'builder' in head && head.closed?.fork !== undefined) head.closed.fork.settled = true;
  }

  /**
   * The first record of a task not seen before, with the name of a fork's parent, is
   * that fork's child (a forked child keeps its parent's name; its pid is in no probe):
   * the fork Op names its mm, and the child's entries are the parent's (copy_page_range()).
   */
  private noteTask(r: TraceRecord): void {
    if (r.pid === 0) return;
    const mm = mmKey(r);
    if (this.tasks.has(mm)) return;
    this.tasks.add(mm);
    const forks = this.env.world.forks;
    const i = forks.findIndex((f) => !f.settled && f.parent !== mm && f.task === r.task);
    if (i < 0) return;
    const f = forks[i]!;
    forks.splice(i, 1);
    f.child = mm;
    f.settled = true;
    this.env.world.copyForFork(f.parent, mm);
  }

  /** The PHASE markers seen so far, in order (none when LiftOptions.phases is false). */
  get phases(): readonly PhasePoint[] {
    return this.phaseCounter?.points ?? [];
  }

  /** Which Op kinds this trace can see (final once the input has ended). */
  observability(): Observability {
    const h = headerSystems(this.header);
    const ranges = this.env.world.ranges;
    return observability(this.header, {
      fsDax: h.fsDax || this.fsDaxSeen, pageRef: h.pageRef || this.pageRefSeen,
      hasFsdax: ranges.some((r) => r.type === 'fsdax'), hasDevdax: ranges.some((r) => r.type === 'generic'),
    });
  }

  private opener(ctx: string, r: TraceRecord): Builder | null {
    const env = this.env;
    if (r.kind === 'fs_dax') return /^dax_(pte|pmd)_fault$/.test(r.event) ? new FaultBuilder(env, ctx, r) : null;
    if (r.kind === 'page_ref') return opensPut(r) ? new PutBuilder(env, ctx, r) : null;
    if (r.kind !== 'kprobe') return null;
    if (opensMremap(r)) return new MremapBuilder(env, ctx, r);
    if (opensMprotect(r)) return new MprotectBuilder(env, ctx, r);
    if (opensDevdaxFault(r)) return new DevdaxFaultBuilder(env, ctx, r);
    if (isGupRecord(r)) return new GupBuilder(env, ctx, r);
    if (opensUnpin(r, env)) return new UnpinBuilder(env, ctx, r);
    if (opensBreak(r)) return new BreakBuilder(env, ctx, r, this.lastBreak.get(ctx));
    if (opensMunmap(r)) return new MunmapBuilder(env, ctx, r);
    if (opensCow(r, env.world)) return new CowBuilder(env, ctx, r);
    if (opensFork(r)) return new ForkBuilder(env, ctx, r);
    if (opensPut(r)) return new PutBuilder(env, ctx, r);
    return null;
  }

  private close(ctx: string): void {
    const b = this.open.get(ctx);
    if (!b) return;
    this.open.delete(ctx);
    // ext4's punch restarts with dax_writeback_range events before its break function
    // (6.1 pageref ext4-fsdax-race.trace.txt:498-499), so the task's last break is kept past them
    if (b instanceof BreakBuilder) this.lastBreak.set(ctx, b);
    const slot = this.queue.find((s): s is { builder: Builder; closed: Closed | null } => 'builder' in s && s.builder === b);
    if (slot) slot.closed = b.close();
  }

  private closeOldest(): void {
    const head = this.queue.find((s) => 'builder' in s && s.closed === null);
    if (head && 'builder' in head) this.close(head.builder.context);
  }

  private flush(): LiftItem[] {
    const out: LiftItem[] = [];
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if ('record' in head) out.push({ kind: 'record', record: head.record });
      else if (head.closed === null || head.closed.held?.fate === 'pending' || head.closed.fork?.settled === false) break;
      else out.push(...this.emit(head.closed, head.builder.context));
      this.queue.shift();
    }
    return out;
  }

  /** The Ops of a closed builder of context `ctx`, numbered. */
  private emit(c: Closed, ctx: string): LiftItem[] {
    const lifted: LiftedOp[] = c.held ? [{ op: resolvedOp(c.held), records: c.held.records }, ...c.ops] : [...c.ops];
    const items: LiftItem[] = lifted.map((l: LiftedOp) => {
      const seq = ++this.seq;
      if (l.key !== undefined) this.seqOfKey.set(l.key, seq);
      // an Op re-entered later is emitted first: queue order is first-record order
      const restarts = l.reenters !== undefined ? this.seqOfKey.get(l.reenters) : undefined;
      const first = l.records[0];
      const endsWait = first !== undefined && inInterrupt(first) ? undefined : this.endsWait(ctx, l.op.type, seq, restarts);
      const op = { ...l.op, seq, ...(restarts !== undefined ? { restarts } : {}), ...(endsWait !== undefined ? { endsWait } : {}) } as Op;
      const pageLines = op.type === 'gup.get' || op.type === 'gup.pin' || op.type === 'dio.grab' ? grabLines(l.records, this.env.vmemmapBase) : [];
      return { kind: 'op' as const, op, records: l.records, ...(pageLines.length > 0 ? { pageLines } : {}) };
    });
    // stray records go after the Ops, in line order (they carry observations only)
    for (const r of [...c.stray].sort((a, b) => a.line - b.line)) items.push({ kind: 'record', record: r });
    return items;
  }

  /**
   * Op.endsWait of Op `seq` of context `ctx`: the task's last layout break, if no Op of the
   * task came between. A task sleeping in ___wait_var_event() (ext4_break_layouts(),
   * xfs_break_dax_layouts() after dax_layout_busy_page(); v6.15+ wait_page_idle() in
   * dax_break_layout(), dax_break_layout_final()) runs nothing until the wait returns, so
   * its next Op shows the wait over (endTaskWait()). Interrupts are not the task's own
   * code: those of the idle task have contexts of their own (contextKey()), and an Op
   * whose first event ran in interrupt context (inInterrupt()) is passed over, as it may
   * have hit the task between a wake and its re-check of the condition. The break is
   * noted whether or not its trace shows a wait, as the model may wait where the recording
   * did not (a model of another kernel: its idle value never reached).
   */
  private endsWait(ctx: string, type: Op['type'], seq: number, restarts: number | undefined): number | undefined {
    if (!ctx.startsWith('pid:')) return undefined;
    const prev = this.breakOfTask.get(ctx);
    if (type === 'fs.break_layout' || type === 'fs.truncate' || type === 'fs.evict') this.breakOfTask.set(ctx, seq);
    else this.breakOfTask.delete(ctx);
    return prev !== undefined && prev !== restarts ? prev : undefined;
  }

  private notePhase(r: TraceRecord): void {
    this.phaseCounter?.note(r);
  }

}
