/**
 * The running count of a check: every observation ends as matched, unknown, an
 * untraced change or a mismatch, so `observations` is always the sum of the four.
 */
import { hex } from '../kernel/constants.ts';
import type { Mismatch, Unknown, Untraced } from './result.ts';
import type { Recorded } from './observations.ts';
import { shown, type Simulated } from './words.ts';

/** Counters and lists of a check in progress. */
export class Tally {
  observations = 0;
  matched = 0;
  readonly unknowns: Unknown[] = [];
  readonly untraced: Untraced[] = [];
  readonly mismatches: Mismatch[] = [];

  /** Records a match. */
  match(): void {
    this.observations++;
    this.matched++;
  }

  /** Records a mismatch. */
  mismatch(line: number, pfn: number, field: string, recorded: Recorded, simulated: Simulated | null, fn: string): void {
    this.observations++;
    this.mismatches.push({ line, pfn: hex(pfn), field, recorded: shown(recorded) ?? 0, simulated: shown(simulated), function: fn });
  }

  /** Records an undecided observation. */
  unknown(u: Omit<Unknown, 'pfn' | 'recorded' | 'simulated'> & { readonly pfn: number; readonly recorded: Recorded; readonly simulated: Simulated | null }): void {
    this.observations++;
    this.unknowns.push({ ...u, pfn: hex(u.pfn), recorded: shown(u.recorded) ?? 0, simulated: shown(u.simulated) });
  }

  /** Records a change no event explains. */
  untracedChange(pfn: number, field: string, before: number, after: number, lines: readonly [number, number]): void {
    this.observations++;
    this.untraced.push({ pfn: hex(pfn), field, before, after, lines });
  }

  /** Compares a located value: a match, a mismatch, or (null) not an observation. */
  compare(line: number, pfn: number, field: string, recorded: Recorded, simulated: Simulated | null, fn: string, equal: boolean): void {
    if (simulated === null) return;
    if (equal) this.match();
    else this.mismatch(line, pfn, field, recorded, simulated, fn);
  }
}
