/**
 * The running count of a check: every observation ends as matched, unknown, an
 * untraced change or a mismatch, so `observations` is always the sum of the four.
 */
import { hex } from '../kernel/constants.ts';
import type { Mismatch, Unknown, Untraced } from './result.ts';
import type { Recorded } from './observations.ts';
import { shown, type Simulated } from './words.ts';

/** Where and what one observation read: what a matched one tells the observer. */
export interface ObservedAt {
  readonly line: number;
  readonly pfn: number;
  readonly field: string;
  readonly recorded: Recorded;
  readonly simulated: Simulated | null;
  readonly fn: string;
}

/** One observation as it is decided (before the report moves those after a loss to unknown). */
export interface ObservationVerdict extends ObservedAt {
  readonly verdict: 'match' | 'mismatch' | 'unknown' | 'untraced';
}

/** Counters and lists of a check in progress. */
export class Tally {
  observations = 0;
  matched = 0;
  /** The first `keep` undecided observations, in full. */
  readonly unknowns: Unknown[] = [];
  /**
   * The ones past `keep`, counted by `field: reason` in the order first seen (the text
   * report prints no more): memory that does not grow with the trace (issue 16).
   */
  readonly omitted = new Map<string, number>();
  /** Every undecided observation, kept or counted. */
  unknownCount = 0;
  private readonly keep: number;
  /**
   * The omitted map's key of each field and reason, built once: a key made per unknown
   * is a new string of ~150 characters to flatten and hash every time.
   */
  private readonly keys = new Map<string, Map<string, string>>();

  /** `keepUnknowns`: how many unknowns to keep in full (all by default). */
  constructor(keepUnknowns = Number.POSITIVE_INFINITY) {
    this.keep = keepUnknowns;
  }
  readonly untraced: Untraced[] = [];
  readonly mismatches: Mismatch[] = [];
  /** Told every observation as it is decided (`report --html` draws them); the counts never depend on it. */
  observer: ((o: ObservationVerdict) => void) | null = null;

  /** Records a match (`at`: what matched, for the observer). */
  match(at?: ObservedAt): void {
    this.observations++;
    this.matched++;
    if (at && this.observer) this.observer({ ...at, verdict: 'match' });
  }

  /**
   * Records a match given by its parts: the observer's object is built only when there
   * is an observer (the hot path of a page_ref check makes three or four per event).
   */
  matchAt(line: number, pfn: number, field: string, recorded: Recorded, simulated: Simulated | null, fn: string): void {
    this.observations++;
    this.matched++;
    if (this.observer) this.observer({ line, pfn, field, recorded, simulated, fn, verdict: 'match' });
  }

  /** Records a mismatch. */
  mismatch(line: number, pfn: number, field: string, recorded: Recorded, simulated: Simulated | null, fn: string): void {
    this.observations++;
    this.mismatches.push({ line, pfn: hex(pfn), field, recorded: shown(recorded) ?? 0, simulated: shown(simulated), function: fn });
    this.observer?.({ line, pfn, field, recorded, simulated, fn, verdict: 'mismatch' });
  }

  /** Records an undecided observation. */
  unknown(u: Omit<Unknown, 'pfn' | 'recorded' | 'simulated'> & { readonly pfn: number; readonly recorded: Recorded; readonly simulated: Simulated | null }): void {
    this.observations++;
    this.unknownCount++;
    if (this.unknowns.length < this.keep) this.unknowns.push({ ...u, pfn: hex(u.pfn), recorded: shown(u.recorded) ?? 0, simulated: shown(u.simulated) });
    else this.countOmitted(u.field, u.reason);
    this.observer?.({ line: u.line, pfn: u.pfn, field: u.field, recorded: u.recorded, simulated: u.simulated, fn: u.function, verdict: 'unknown' });
  }

  /** Records a change no event explains. */
  untracedChange(pfn: number, field: string, before: number, after: number, lines: readonly [number, number]): void {
    this.observations++;
    this.untraced.push({ pfn: hex(pfn), field, before, after, lines });
    this.observer?.({ line: lines[1], pfn, field, recorded: after, simulated: before, fn: 'untraced', verdict: 'untraced' });
  }

  /** countOmitted with the key of this field and reason built once. */
  private countOmitted(field: string, reason: string): void {
    let byReason = this.keys.get(field);
    if (byReason === undefined) this.keys.set(field, (byReason = new Map<string, string>()));
    let key = byReason.get(reason);
    if (key === undefined) byReason.set(reason, (key = omittedKey(field, reason)));
    this.omitted.set(key, (this.omitted.get(key) ?? 0) + 1);
  }

  /** Compares a located value: a match, a mismatch, or (null) not an observation. */
  compare(line: number, pfn: number, field: string, recorded: Recorded, simulated: Simulated | null, fn: string, equal: boolean): void {
    if (simulated === null) return;
    if (equal) this.match({ line, pfn, field, recorded, simulated, fn });
    else this.mismatch(line, pfn, field, recorded, simulated, fn);
  }
}

/** Counts an unknown not kept in full under its `field: reason` (the text report's summary line). */
export function countOmitted(omitted: Map<string, number>, field: string, reason: string): void {
  const key = omittedKey(field, reason);
  omitted.set(key, (omitted.get(key) ?? 0) + 1);
}

/** The key an omitted unknown is counted under (the text report prints it). */
function omittedKey(field: string, reason: string): string {
  return `${field}: ${reason}`;
}
