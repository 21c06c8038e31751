/**
 * Resynchronising the simulated state to a recorded snap value, so that one change
 * the probes could not see (or one disagreement) is reported once and the replay goes
 * on from what the kernel really held. The adjustment is made of ordinary RefEvents
 * (page_ref_set for `_refcount`, rmap events for the mapcounts, `_pincount` deltas) so
 * the shared fold applies it; a folio order cannot be forced and is left alone.
 */
import type { RefEventInit } from '../events/ref-event.ts';
import { compoundHead, type StateView } from '../state/accessors.ts';
import type { Level } from '../events/op.ts';
import type { ObsField } from './observations.ts';

/**
 * The most mappings one resync adds or removes (one rmap event each). A traced
 * process can hold at most vm.max_map_count VMAs (DEFAULT_MAX_MAP_COUNT, 65530) and a
 * page gains at most one mapping per VMA of each process; a larger jump between two
 * snaps is a damaged value, and replaying it would cost work in proportion to it.
 */
export const MAX_RESYNC_MAPPINGS = 65536;

/** A recorded mapcount too far from the replay's to be a change the probes missed: exit 2. */
export class ResyncBoundError extends Error {
  override readonly name = 'ResyncBoundError';
  /** The trace line of the recorded value, and the field as recorded (`m_48400`, `mapcount`). */
  readonly line: number | undefined;
  readonly field: string | undefined;
  /** `file:line:column BAD_FIELD …` once the CLI has found the value on its line. */
  located: string | undefined;
  /** The message without the `dax-refsim: ` prefix, for the positioned form. */
  readonly detail: string;
  constructor(detail: string, line?: number, field?: string) {
    super(`dax-refsim: ${detail}`);
    this.detail = detail;
    this.line = line;
    this.field = field;
  }
}

/**
 * Entries that map pfn at `level` (for a huge level, the folio at its head), newest
 * address space first: when a snap shows fewer mappings than the replay, the
 * unmaps the probes missed (a legacy PTE zap, an exit) are taken to be of the address
 * spaces that mapped it last (a child that exited), so that a later unmap of the range
 * does not remove the same mapping twice.
 */
function staleEntries(src: StateView, pfn: number, level: Level, n: number): RefEventInit[] {
  const out: RefEventInit[] = [];
  if (src.world.ptes.size === 0) return out;
  for (const [mm, table] of [...src.world.ptes].reverse()) {
    for (const pte of table.values()) {
      if (out.length >= n) return out;
      if (pte.level === level && pte.pfn === pfn && pte.refcounted) out.push({ type: 'pt_clear', mm, addr: pte.addr, level });
    }
  }
  return out;
}

/**
 * The events that bring `field` of pfn from `simulated` to `recorded` (read at trace
 * line `line` as the field `name`, both named in the error).
 */
export function resyncEvents(src: StateView, pfn: number, field: ObsField, simulated: number, recorded: number, line?: number, name?: string): RefEventInit[] {
  const d = recorded - simulated;
  if (d === 0) return [];
  const n = Math.abs(d);
  if ((field === 'mapcount' || field === 'entire') && n > MAX_RESYNC_MAPPINGS) {
    throw new ResyncBoundError(
      `pfn 0x${pfn.toString(16)}${line === undefined ? '' : ` (input line ${line})`}: the recorded ${field} ${recorded} is ${n} mappings from the replay's ${simulated}, more than the ${MAX_RESYNC_MAPPINGS} one missed change can add (vm.max_map_count): a damaged value`,
      line,
      name,
    );
  }
  switch (field) {
    case 'refcount':
      return [{ type: 'set', pfn, val: recorded }];
    case 'mapcount': {
      const head = compoundHead(src, pfn);
      const type = d > 0 ? 'add_rmap' : 'remove_rmap';
      const rmap: RefEventInit[] = [];
      for (let i = 0; i < n; i++) rmap.push({ type, pfn: head, page: pfn, nr: 1, level: 'pte' });
      return d > 0 ? rmap : [...staleEntries(src, pfn, 'pte', n), ...rmap];
    }
    case 'entire': {
      const type = d > 0 ? 'add_rmap' : 'remove_rmap';
      const rmap = Array.from({ length: n }, () => ({ type, pfn, page: pfn, nr: 1, level: 'pmd' }) as const);
      return d > 0 ? rmap : [...[...staleEntries(src, pfn, 'pmd', n), ...staleEntries(src, pfn, 'pud', n)].slice(0, n), ...rmap];
    }
    case 'pincount':
      return [{ type: 'pin_count', pfn, val: d }];
    default:
      return [];
  }
}
