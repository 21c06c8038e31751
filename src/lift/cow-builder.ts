/**
 * A copy-on-write and a fork, each from its first probe to the last event of the same
 * task that belongs to it.
 *
 * cow: do_wp_page() at an address where a fault mapped a device page into a MAP_PRIVATE
 * VMA: wp_page_copy() maps a new anonymous page there (folio_add_new_anon_rmap(), its
 * `anon=` page is ordinary RAM) and, in a unified kernel, drops the device page's rmap
 * (folio_remove_rmap_ptes()) and references. do_wp_page() on a shared DAX VMA is the
 * write-notify upgrade that a dax_pte_fault MKWRITE event then shows; it is not a copy.
 *
 * fork: the copy_page_range() calls of one dup_mmap() (and, in a page_ref build, the
 * references copy_present_ptes() takes). No probe prints the child's pid, so the fork
 * waits for it: the first task of the parent's name not seen before is the child (its
 * own faults, copy-on-writes and exit carry that pid), and the Op names its mm. One
 * never seen (within the lifter's bound or the trace) is named after the parent and
 * the line (`mm:503/fork@292`).
 */
import { PAGE_SIZE } from '../kernel/constants.ts';
import { probeBigint } from '../trace/record-fields.ts';
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import type { Builder, Closed, LiftEnv } from './builder.ts';
import { strayOnly } from './builder.ts';
import type { ForkChild, LiftWorld } from './world.ts';
import { mmKey, probeFunction } from './record-view.ts';

const COW_INSIDE: ReadonlySet<string> = new Set([
  'wp_page_copy', 'folio_add_new_anon_rmap', 'folio_remove_rmap_ptes', 'page_remove_rmap', '__folio_put', 'free_zone_device_folio', 'wake_up_var',
]);

/** True for do_wp_page() on a device page of a private mapping a fault made. */
export function opensCow(r: TraceRecord, world: LiftWorld): r is KprobeRecord {
  if (r.kind !== 'kprobe' || r.probeKind !== 'entry' || probeFunction(r) !== 'do_wp_page') return false;
  const addr = probeBigint(r, 'addr') ?? probeBigint(r, 'address');
  if (addr === null) return false;
  const m = world.mappedAt(mmKey(r), Number(addr));
  return m !== undefined && !m.shared;
}

/** A copy-on-write being read. */
export class CowBuilder implements Builder {
  readonly kind = 'cow' as const;
  readonly context: string;
  readonly endsAtPhase = true;
  readonly finished = false;
  private readonly env: LiftEnv;
  private readonly records: TraceRecord[];
  private readonly mm: string;
  private readonly address: number;

  constructor(env: LiftEnv, context: string, r: KprobeRecord) {
    this.env = env;
    this.context = context;
    this.records = [r];
    this.mm = mmKey(r);
    const addr = Number(probeBigint(r, 'addr') ?? probeBigint(r, 'address') ?? 0n);
    this.address = addr - (addr % PAGE_SIZE);
  }

  offer(r: TraceRecord): boolean {
    if (r.kind === 'page_ref') {
      this.records.push(r);
      return true;
    }
    if (r.kind !== 'kprobe' || !COW_INSIDE.has(probeFunction(r))) return false;
    this.records.push(r);
    return true;
  }

  close(): Closed {
    this.env.world.forgetAt(this.mm, this.address);
    return { ops: [{ op: { type: 'cow', line: this.records[0]!.line, mm: this.mm, address: this.address }, records: this.records }], stray: [] };
  }
}

/** True for a record that opens a fork. */
export function opensFork(r: TraceRecord): r is KprobeRecord {
  return r.kind === 'kprobe' && r.probeKind === 'entry' && (probeFunction(r) === 'copy_page_range' || probeFunction(r) === 'dup_mmap');
}

/** A fork being read. */
export class ForkBuilder implements Builder {
  readonly kind = 'fork' as const;
  readonly context: string;
  readonly endsAtPhase = true;
  readonly finished = false;
  private readonly env: LiftEnv;
  private readonly records: TraceRecord[];
  private readonly child: ForkChild;

  constructor(env: LiftEnv, context: string, r: KprobeRecord) {
    this.env = env;
    this.context = context;
    this.records = [r];
    this.child = { parent: mmKey(r), task: r.task, child: null, settled: false };
    env.world.forks.push(this.child);
  }

  offer(r: TraceRecord): boolean {
    // copy_present_ptes()' folio_get() of a copied DAX PTE (a page_ref build)
    if (r.kind === 'page_ref' && r.val > 0 && this.env.world.isDevicePfn(r.pfn)) {
      this.records.push(r);
      return true;
    }
    if (r.kind !== 'kprobe' || (probeFunction(r) !== 'copy_page_range' && probeFunction(r) !== 'dup_mmap')) return false;
    this.records.push(r);
    return true;
  }

  close(): Closed {
    const first = this.records[0];
    if (first === undefined) return strayOnly(this.records);
    const mm = mmKey(first);
    const child = this.child;
    // the Op is read when emitted (lifter.ts), after the child is known or given up
    const op = { type: 'fork' as const, line: first.line, mm, get child(): string { return child.child ?? `${mm}/fork@${first.line}`; } };
    return { ops: [{ op, records: this.records }], stray: [], fork: child };
  }
}
