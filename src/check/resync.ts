/**
 * Resynchronising the simulated state to a recorded snap value, so that one change
 * the probes could not see (or one disagreement) is reported once and the replay goes
 * on from what the kernel really held. The adjustment is made of ordinary RefEvents
 * (page_ref_set for `_refcount`, rmap events for the mapcounts, `_pincount` deltas) so
 * the shared fold applies it; a folio order cannot be forced and is left alone.
 */
import type { RefEventInit } from '../events/ref-event.ts';
import { compoundHead, type PageSource } from '../state/accessors.ts';
import type { ObsField } from './observations.ts';

/** The events that bring `field` of pfn from `simulated` to `recorded`. */
export function resyncEvents(src: PageSource, pfn: number, field: ObsField, simulated: number, recorded: number): RefEventInit[] {
  const d = recorded - simulated;
  if (d === 0) return [];
  const n = Math.abs(d);
  switch (field) {
    case 'refcount':
      return [{ type: 'set', pfn, val: recorded }];
    case 'mapcount': {
      const head = compoundHead(src, pfn);
      const type = d > 0 ? 'add_rmap' : 'remove_rmap';
      return Array.from({ length: n }, () => ({ type, pfn: head, page: pfn, nr: 1, level: 'pte' }) as const);
    }
    case 'entire': {
      const type = d > 0 ? 'add_rmap' : 'remove_rmap';
      return Array.from({ length: n }, () => ({ type, pfn, page: pfn, nr: 1, level: 'pmd' }) as const);
    }
    case 'pincount':
      return [{ type: 'pin_count', pfn, val: d }];
    default:
      return [];
  }
}
