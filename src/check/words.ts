/**
 * Comparing words that are not counters. Word 1 of a tail is compared literally: it is
 * the recording kernel's compound-head encoding (`head | 1`, or the 7.1+ mask), which the
 * profile reproduces. Word 1 of a head (or an order-0 page) and the pointer a pgmap
 * lookup returns differ from boot to boot, so they are compared as "the pgmap of this
 * folio": the first pointer seen for a simulated pgmap is bound to it, and from then on
 * that pointer must name that pgmap and that pgmap that pointer, whichever page (head,
 * a tail in section 1, a tail in section 8) it was reached from.
 */
import { hex } from '../kernel/constants.ts';
import type { ObsField, Recorded } from './observations.ts';

/** A simulated value: a counter, a tail's word 1, or a pgmap (its id). */
export type Simulated = number | bigint | string;

/** The recording's pgmap pointers bound to the model's pgmaps. */
export class PgmapBinding {
  private readonly byPtr = new Map<bigint, string>();
  private readonly byId = new Map<string, bigint>();

  /** True when pointer `ptr` can be pgmap `id`; binds the two the first time either is seen. */
  same(ptr: bigint, id: string): boolean {
    const bound = this.byPtr.get(ptr);
    if (bound !== undefined) return bound === id;
    if (this.byId.has(id)) return false;
    this.byPtr.set(ptr, id);
    this.byId.set(id, ptr);
    return true;
  }
}

/** True when a recorded value agrees with the simulated one under the field's meaning. */
export function agree(field: ObsField, recorded: Recorded, simulated: Simulated, binding: PgmapBinding): boolean {
  if (field === 'word1') {
    if (typeof simulated === 'bigint') return recorded === simulated;
    // the model holds a pgmap here: the kernel must hold a pointer (bit 0 clear) to the same one
    return typeof simulated === 'string' && typeof recorded === 'bigint' && (recorded & 1n) === 0n && binding.same(recorded, simulated);
  }
  if (field === 'pgmap') return typeof simulated === 'string' && typeof recorded === 'bigint' && binding.same(recorded, simulated);
  return typeof simulated === 'number' && Number(recorded) === simulated;
}

/** A value as reports print it: counters as numbers, words in hex, a pgmap by name. */
export function shown(v: Recorded | Simulated | null): number | string | null {
  if (v === null || typeof v === 'number') return v;
  return typeof v === 'bigint' ? hex(v) : `pgmap ${v}`;
}
