/**
 * mremap(): the recorder probes the syscall (__x64_sys_mremap: addr, old_len, new_len,
 * flags, new_addr at entry, the new address or -errno at return), since moving a mapping
 * changes no count: move_page_tables() → move_huge_pmd()/move_ptes() carry the entries to
 * the new address with the folio's references and mapcount as they were, so no page probe
 * fires. Without it the lifter kept the entries at the old address and placed the later
 * munmap()'s rmap removals there (vmtest 7.3 ext4 fsdax-vma:726-751, xfs :731-756: the
 * moved PMD and PTE pages' wakes and snaps mismatched). Every record of the task between
 * entry and return is the syscall's (a shrink's tail unmap, a split before an unaligned
 * move): the model's mremap() does those itself.
 */
import { PAGE_SIZE } from '../kernel/constants.ts';
import { probeBigint } from '../trace/record-fields.ts';
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import type { Closed, LiftEnv } from './builder.ts';
import { SyscallBuilder } from './syscall-builder.ts';
import { strayOnly } from './builder.ts';
import { mmKey, probeFunction } from './record-view.ts';

/** The syscall wrapper the recorder probes (its pt_regs words are the arguments). */
const MREMAP_SYSCALL = '__x64_sys_mremap';
/** -MAX_ERRNO as an unsigned long: a return at or above it is an error (IS_ERR_VALUE()). */
const ERR_FLOOR = 2n ** 64n - 4095n;

/** True for the entry probe of mremap(). */
export function opensMremap(r: TraceRecord): r is KprobeRecord {
  return r.kind === 'kprobe' && r.probeKind === 'entry' && probeFunction(r) === MREMAP_SYSCALL;
}

/** PAGE_ALIGN(). */
function pageAlign(n: bigint): number {
  const p = BigInt(PAGE_SIZE);
  return Number(((n + p - 1n) / p) * p);
}

/** One mremap() call being read, from its entry to its return. */
export class MremapBuilder extends SyscallBuilder {
  readonly kind = 'mremap' as const;

  constructor(env: LiftEnv, context: string, r: KprobeRecord) {
    super(env, context, r, MREMAP_SYSCALL, ERR_FLOOR);
  }

  close(): Closed {
    const e = this.entry;
    const addr = probeBigint(e, 'addr');
    const oldLen = probeBigint(e, 'old_len');
    const newLen = probeBigint(e, 'new_len');
    // no return seen (the trace ended inside the call), a failed call (nothing moved),
    // or old_len 0 (a second mapping of a shared one: nothing moves): no Op
    if (this.ret === null || this.ret >= ERR_FLOOR || addr === null || oldLen === null || newLen === null || oldLen === 0n) return strayOnly(this.records);
    const mm = mmKey(e);
    const start = Number(addr);
    const end = start + pageAlign(oldLen);
    const newStart = Number(this.ret);
    const newEnd = newStart + pageAlign(newLen);
    const world = this.env.world;
    // the model's mremap() needs the VMA its faults made: with no entry the lifter knows
    // of in the range, no count can depend on the move, and the VMA (if the lifter
    // estimated one) just follows. MREMAP_DONTUNMAP keeps the old VMA, empty: the
    // entries still move (move_page_tables()), which is what counts.
    const known = world.hasEntries(mm, start, end);
    world.remap(mm, start, end, newStart, newEnd);
    if (!known) return strayOnly(this.records);
    return { ops: [{ op: { type: 'mremap', line: e.line, mm, start, end, newStart, newEnd }, records: this.records }], stray: [] };
  }
}
