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

/** Options of a tally. */
export interface TallyOptions {
  /** How many unknowns to keep in full (all by default); the rest are counted by `field: reason` (at most maxDetails reasons). */
  readonly keepUnknowns?: number;
  /**
   * How many mismatches and untraced changes to keep in full (all by default); the rest
   * are only counted (`mismatchCount`, `untracedCount`), so a trace that disagrees at
   * every event holds no more than these (issue 16 item 4).
   */
  readonly maxDetails?: number;
  /**
   * The reason an observation at a line is undecidable because events were lost before
   * it (LossTracker.since), or null. A mismatch or untraced change after a loss is kept
   * apart (lostMismatches, lostUntraced) and reported as unknown: decided as it comes,
   * not by a pass over every one kept (the losses before a line are all known once the
   * comparer reaches it, the reader handing them on in line order).
   */
  readonly lostSince?: (line: number) => string | null;
  /**
   * The reason a disagreement on pfn at a line is undecidable because the trace misses
   * an operation on that folio before it (Checker.bareDoubt: a page_ref event no probe
   * event encloses), or null. Kept apart and reported like one after a loss.
   */
  readonly missedSince?: (line: number, pfn: number) => string | null;
}

/**
 * The key of the by-reason count under which unknowns are counted once there are more
 * distinct reasons than the cap (a reason may name a line or a pfn, so a long trace can
 * have as many reasons as unknowns): the text report says how many.
 */
export const OTHER_REASONS = '\u0000other reasons';

/** Adds `n` under `key`, or under OTHER_REASONS when `key` is new and `maxReasons` reasons are counted already. */
export function addOmitted(omitted: Map<string, number>, key: string, n: number, maxReasons = Number.POSITIVE_INFINITY): void {
  const at = omitted.has(key) || omitted.size < maxReasons ? key : OTHER_REASONS;
  omitted.set(at, (omitted.get(at) ?? 0) + n);
}

/**
 * The first `keep` unknowns of one source in full, the rest counted by `field: reason`
 * in the order first seen, at most `maxReasons` reasons (the rest under OTHER_REASONS).
 */
export class UnknownList {
  readonly items: Unknown[] = [];
  readonly omitted = new Map<string, number>();
  count = 0;
  private readonly keep: number;
  private readonly maxReasons: number;
  /**
   * The omitted map's key of each field and reason, built once: a key made per unknown
   * is a new string of ~150 characters to flatten and hash every time.
   */
  private readonly keys = new Map<string, Map<string, string>>();

  constructor(keep = Number.POSITIVE_INFINITY, maxReasons = Number.POSITIVE_INFINITY) {
    this.keep = keep;
    this.maxReasons = maxReasons;
  }

  /** Adds one; `make` builds it in full only when it is kept. */
  add(field: string, reason: string, make: () => Unknown): void {
    this.count++;
    if (this.items.length < this.keep) this.items.push(make());
    else this.countOmitted(field, reason);
  }

  private countOmitted(field: string, reason: string): void {
    let byReason = this.keys.get(field);
    if (byReason === undefined) this.keys.set(field, (byReason = new Map<string, string>()));
    let key = byReason.get(reason);
    if (key === undefined) {
      // a new reason past the cap is counted under OTHER_REASONS, and its key not kept
      if (this.omitted.size >= this.maxReasons) {
        addOmitted(this.omitted, OTHER_REASONS, 1);
        return;
      }
      byReason.set(reason, (key = omittedKey(field, reason)));
    }
    this.omitted.set(key, (this.omitted.get(key) ?? 0) + 1);
  }
}

/** Counters and lists of a check in progress. */
export class Tally {
  observations = 0;
  matched = 0;
  /** The undecided observations: the first `keepUnknowns` in full, the rest counted by reason. */
  private readonly undecided: UnknownList;
  /** Mismatches after a loss (lostSince), in order: unknowns of the report, after the tally's own. */
  readonly lostMismatches: UnknownList;
  /** Untraced changes after a loss, in order: unknowns of the report, after lostMismatches. */
  readonly lostUntraced: UnknownList;
  /** The first `maxDetails` mismatches (none after a loss). */
  readonly mismatches: Mismatch[] = [];
  /** Every mismatch (none after a loss), kept or only counted. */
  mismatchCount = 0;
  /** The first `maxDetails` untraced changes (none after a loss). */
  readonly untraced: Untraced[] = [];
  /** Every untraced change (none after a loss), kept or only counted. */
  untracedCount = 0;
  private readonly maxDetails: number;
  private readonly lostSince: ((line: number) => string | null) | null;
  private readonly missedSince: ((line: number, pfn: number) => string | null) | null;

  constructor(opts: TallyOptions = {}) {
    this.undecided = new UnknownList(opts.keepUnknowns, opts.maxDetails);
    this.lostMismatches = new UnknownList(opts.keepUnknowns, opts.maxDetails);
    this.lostUntraced = new UnknownList(opts.keepUnknowns, opts.maxDetails);
    this.maxDetails = opts.maxDetails ?? Number.POSITIVE_INFINITY;
    this.lostSince = opts.lostSince ?? null;
    this.missedSince = opts.missedSince ?? null;
  }

  /** The comparer's own undecided observations (not those a loss made undecidable). */
  get unknownList(): UnknownList {
    return this.undecided;
  }

  /** The first `keepUnknowns` undecided observations, in full. */
  get unknowns(): readonly Unknown[] {
    return this.undecided.items;
  }

  /**
   * The undecided observations past the kept ones, counted by `field: reason` in the
   * order first seen (the text report prints no more): memory that does not grow with
   * the trace (issue 16).
   */
  get omitted(): ReadonlyMap<string, number> {
    return this.undecided.omitted;
  }

  /** Every undecided observation, kept or counted. */
  get unknownCount(): number {
    return this.undecided.count;
  }

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
  mismatch(line: number, pfn: number, field: string, recorded: Recorded, simulated: Simulated | null, fn: string, firm = false): void {
    this.observations++;
    // firm: a value the trace decides alone (no missing operation can explain it)
    const lost = this.lostSince?.(line) ?? (firm ? null : this.missedSince?.(line, pfn)) ?? null;
    if (lost !== null) {
      this.lostMismatches.add(field, lost, () => ({ line, pfn: hex(pfn), field, recorded: shown(recorded) ?? 0, simulated: shown(simulated), function: fn, reason: lost }));
    } else {
      this.mismatchCount++;
      if (this.mismatches.length < this.maxDetails) this.mismatches.push({ line, pfn: hex(pfn), field, recorded: shown(recorded) ?? 0, simulated: shown(simulated), function: fn });
    }
    this.observer?.({ line, pfn, field, recorded, simulated, fn, verdict: 'mismatch' });
  }

  /** Records an undecided observation. */
  unknown(u: Omit<Unknown, 'pfn' | 'recorded' | 'simulated'> & { readonly pfn: number; readonly recorded: Recorded; readonly simulated: Simulated | null }): void {
    this.observations++;
    this.undecided.add(u.field, u.reason, () => ({ ...u, pfn: hex(u.pfn), recorded: shown(u.recorded) ?? 0, simulated: shown(u.simulated) }));
    this.observer?.({ line: u.line, pfn: u.pfn, field: u.field, recorded: u.recorded, simulated: u.simulated, fn: u.function, verdict: 'unknown' });
  }

  /**
   * Records a change no event explains, found at `lines[1]` by the event of kernel
   * function `fn` there (a snap's probe function, or a page_ref event's count before it).
   * `at` names the value that line records when it is not `field` itself: a page_ref
   * event's `count before` (count − val), which an unknown at that line shows.
   */
  untracedChange(pfn: number, field: string, before: number, after: number, lines: readonly [number, number], fn: string, at: string = field): void {
    this.observations++;
    const lost = this.lostSince?.(lines[1]) ?? this.missedSince?.(lines[1], pfn) ?? null;
    if (lost !== null) {
      this.lostUntraced.add(at, lost, () => ({ line: lines[1], pfn: hex(pfn), field: at, recorded: after, simulated: before, function: fn, reason: lost }));
    } else {
      this.untracedCount++;
      if (this.untraced.length < this.maxDetails) this.untraced.push({ pfn: hex(pfn), field, before, after, lines });
    }
    this.observer?.({ line: lines[1], pfn, field, recorded: after, simulated: before, fn: 'untraced', verdict: 'untraced' });
  }

  /** Compares a located value: a match, a mismatch, or (null) not an observation. */
  compare(line: number, pfn: number, field: string, recorded: Recorded, simulated: Simulated | null, fn: string, equal: boolean, firm = false): void {
    if (simulated === null) return;
    if (equal) this.match({ line, pfn, field, recorded, simulated, fn });
    else this.mismatch(line, pfn, field, recorded, simulated, fn, firm);
  }
}

/** Counts an unknown not kept in full under its `field: reason` (the text report's summary line). */
export function countOmitted(omitted: Map<string, number>, field: string, reason: string, maxReasons = Number.POSITIVE_INFINITY): void {
  addOmitted(omitted, omittedKey(field, reason), 1, maxReasons);
}

/** The key an omitted unknown is counted under (the text report prints it). */
function omittedKey(field: string, reason: string): string {
  return `${field}: ${reason}`;
}
