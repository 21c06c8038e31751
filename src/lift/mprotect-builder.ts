/**
 * mprotect(): the recorder probes the syscall (__x64_sys_mprotect: start, len, prot at
 * entry, 0 or -errno at return) and change_protection() (its start and end), since a
 * protection change moves no count: no page probe fires when change_pmd_range() write-
 * protects an entry, nor when change_pud_range() of 6.1-6.11 clears a device-dax PUD as
 * a bad table (pud_none_or_clear_bad(): vmtest 6.1 devdax-1G, the console's bad puds).
 * mprotect_fixup() calls change_protection() only for a VMA whose flags change: a call
 * that asks for the protection the VMA already has (the devdax workload's
 * mprotect_part_undo after a refused mprotect_part) or that ->may_split() refuses
 * (device-dax, -EINVAL) changes no entry, and lifts to nothing. Every record of the task
 * between entry and return is the syscall's (a cut PMD's split, which on a unified kernel
 * removes the rmap and puts the folio): the model's mprotect() does those itself.
 */
import { changeHugePud } from '../models/kernel-facts.ts';
import { probeBigint } from '../trace/record-fields.ts';
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import type { Closed, LiftEnv, LiftedOp } from './builder.ts';
import { SyscallBuilder } from './syscall-builder.ts';
import { mmKey, probeFunction } from './record-view.ts';

/** The syscall wrapper the recorder probes (its pt_regs words are the arguments). */
const MPROTECT_SYSCALL = '__x64_sys_mprotect';
/** The per-VMA change the syscall makes (mprotect_fixup() → change_protection()). */
const CHANGE_PROTECTION = 'change_protection';
/** PROT_WRITE. */
const PROT_WRITE = 0x2n;

/** True for the entry probe of mprotect(). */
export function opensMprotect(r: TraceRecord): r is KprobeRecord {
  return r.kind === 'kprobe' && r.probeKind === 'entry' && probeFunction(r) === MPROTECT_SYSCALL;
}

/** One mprotect() call being read, from its entry to its return. */
export class MprotectBuilder extends SyscallBuilder {
  readonly kind = 'mprotect' as const;

  constructor(env: LiftEnv, context: string, r: KprobeRecord) {
    super(env, context, r, MPROTECT_SYSCALL, -1n);
  }

  close(): Closed {
    const e = this.entry;
    const prot = probeBigint(e, 'prot');
    // no return seen (the trace ended inside the call) or a failed call: nothing to lift
    if (this.ret !== 0n || prot === null) return { ops: [], stray: this.records };
    const mm = mmKey(e);
    const write = (prot & PROT_WRITE) !== 0n;
    const world = this.env.world;
    const rel = this.env.release;
    // the models' boundary: change_pud_range() keeps a PUD leaf from 6.12 on
    const pudLeaf = rel === null || changeHugePud([rel.major, rel.minor]);
    // one Op per change_protection(), with the records up to it; the return goes to the last
    const ops: LiftedOp[] = [];
    const stray: TraceRecord[] = [];
    let bucket: TraceRecord[] = [];
    let last: TraceRecord[] | null = null;
    for (const r of this.records) {
      bucket.push(r);
      if (r.kind !== 'kprobe' || r.probeKind !== 'entry' || probeFunction(r) !== CHANGE_PROTECTION) continue;
      const start = probeBigint(r, 'start');
      const end = probeBigint(r, 'end');
      // the model's mprotect() needs an entry the lifter knows of: with none in the
      // range no count or entry can depend on it
      if (start !== null && end !== null && end > start && world.overlapsEntries(mm, Number(start), Number(end))) {
        ops.push({ op: { type: 'mprotect', line: r.line, mm, start: Number(start), end: Number(end), write }, records: bucket });
        last = bucket;
        world.protect(mm, Number(start), Number(end), pudLeaf);
      } else stray.push(...bucket);
      bucket = [];
    }
    if (last !== null) last.push(...bucket);
    else stray.push(...bucket);
    return { ops, stray };
  }
}
