/**
 * The kernel's `__print_flags()` tables for the flag words in fs_dax and page_ref
 * events, used to decode the hex that `trace-cmd report` prints when libtraceevent
 * cannot resolve the enum names, and to turn printed names back into values.
 */
import type { FlagTable } from './flag-set.ts';
import { isAtLeast, isBefore, type KernelRelease } from './kernel-release.ts';

/**
 * `FAULT_FLAG_TRACE` (include/linux/mm_types.h, `enum fault_flag`), print order.
 * UNSHARE (1<<10) and ORIG_PTE_VALID (1<<11) are not in the kernel's table, so the raw
 * text shows them as hex (`…|0x800`); VMA_LOCK appeared in v6.4.
 */
export const FAULT_FLAG_TABLE: FlagTable = [
  { name: 'WRITE', value: 1 << 0 },
  { name: 'MKWRITE', value: 1 << 1 },
  { name: 'ALLOW_RETRY', value: 1 << 2 },
  { name: 'RETRY_NOWAIT', value: 1 << 3 },
  { name: 'KILLABLE', value: 1 << 4 },
  { name: 'TRIED', value: 1 << 5 },
  { name: 'USER', value: 1 << 6 },
  { name: 'REMOTE', value: 1 << 7 },
  { name: 'INSTRUCTION', value: 1 << 8 },
  { name: 'INTERRUPTIBLE', value: 1 << 9 },
  { name: 'VMA_LOCK', value: 1 << 12 },
];

/**
 * `VM_FAULT_RESULT_TRACE` (`enum vm_fault_reason`), print order. WRITE (0x8) exists only
 * before v6.1; COMPLETED was added to the table in v6.5.
 */
export const VM_FAULT_TABLE: FlagTable = [
  { name: 'OOM', value: 0x000001 },
  { name: 'SIGBUS', value: 0x000002 },
  { name: 'MAJOR', value: 0x000004 },
  { name: 'WRITE', value: 0x000008 },
  { name: 'HWPOISON', value: 0x000010 },
  { name: 'HWPOISON_LARGE', value: 0x000020 },
  { name: 'SIGSEGV', value: 0x000040 },
  { name: 'NOPAGE', value: 0x000100 },
  { name: 'LOCKED', value: 0x000200 },
  { name: 'RETRY', value: 0x000400 },
  { name: 'FALLBACK', value: 0x000800 },
  { name: 'DONE_COW', value: 0x001000 },
  { name: 'NEEDDSYNC', value: 0x002000 },
  { name: 'COMPLETED', value: 0x004000 },
];

/** Builds a table in `__def_pageflag_names` print order from `name → bit` pairs. */
function pageFlags(bits: readonly (readonly [string, number])[]): FlagTable {
  return bits.map(([name, bit]) => ({ name, value: 2 ** bit }));
}

/**
 * `enum pageflags` of v6.12 and later (PG_writeback in bit 1, PG_head in bit 6,
 * PG_owner_2, no PG_error/PG_slab), in `__def_pageflag_names` print order. Only bits
 * 0–18 are listed: the bits above depend on the config (mlocked, hwpoison, idle, arch_2)
 * and the version (dropbehind, v6.14). Checked against the paired 7.2 recordings
 * (raw `referenced|dirty|reserved|head` = trace-cmd `0x2054`).
 */
export const PAGE_FLAGS_V6_12: FlagTable = pageFlags([
  ['locked', 0], ['waiters', 7], ['referenced', 2], ['uptodate', 3], ['dirty', 4], ['lru', 5],
  ['active', 8], ['workingset', 9], ['owner_priv_1', 10], ['owner_2', 11], ['arch_1', 12],
  ['reserved', 13], ['private', 14], ['private_2', 15], ['writeback', 1], ['head', 6],
  ['reclaim', 16], ['swapbacked', 17], ['unevictable', 18],
]);

/**
 * `enum pageflags` of v4.20–v6.5 (PG_waiters in bit 7, PG_error and PG_slab present,
 * PG_writeback in bit 15, PG_head in bit 16), print order; bits 0–20 only.
 */
export const PAGE_FLAGS_V6_1: FlagTable = pageFlags([
  ['locked', 0], ['waiters', 7], ['error', 8], ['referenced', 1], ['uptodate', 2], ['dirty', 3],
  ['lru', 4], ['active', 5], ['workingset', 6], ['slab', 9], ['owner_priv_1', 10], ['arch_1', 11],
  ['reserved', 12], ['private', 13], ['private_2', 14], ['writeback', 15], ['head', 16],
  ['mappedtodisk', 17], ['reclaim', 18], ['swapbacked', 19], ['unevictable', 20],
]);

/**
 * The page-flag table for a recording kernel, or `null` when the layout of that
 * version is not known well enough to decode a hex flag word (v6.6–v6.11 moved bits
 * around in several steps) or the kernel is unknown.
 */
export function pageFlagTableFor(release: KernelRelease | null): FlagTable | null {
  if (isAtLeast(release, 6, 12)) return PAGE_FLAGS_V6_12;
  if (isBefore(release, 6, 6) && isAtLeast(release, 4, 20)) return PAGE_FLAGS_V6_1;
  return null;
}

/**
 * True when `value` sets only bits that `table` names, so that decoding it with the
 * table is trustworthy.
 */
export function coversAllBits(table: FlagTable, value: number): boolean {
  let known = 0n;
  for (const e of table) known |= BigInt(e.value);
  return (BigInt(value) & ~known) === 0n;
}
