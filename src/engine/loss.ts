/**
 * Events a replayed input says it lost: ftrace's `CPU:N [LOST n EVENTS]`, trace-cmd's
 * `CPU:N [n EVENTS DROPPED]`, an `entries-in-buffer/entries-written` header showing an
 * overwritten ring buffer, and a JSONL `seq` gap. A lost event may explain any later
 * disagreement, so from the first loss on a finding is `unknown` (kept, printed apart,
 * not counted for the exit code): the tri-state verdict Knossos gives an incomplete
 * history, as `check` does with its observations (src/check/loss.ts).
 */

/** One place events were lost. */
export interface InputLoss {
  /** The line of the marker or of the event after the gap (0: before the first event). */
  readonly line: number;
  /** CPU whose buffer lost them, null when not said. */
  readonly cpu: number | null;
  readonly events: number;
  readonly how: 'LOST' | 'DROPPED' | 'overwritten' | 'seq gap';
}

/** The losses of one input and the first input seq they may affect. */
export interface InputLosses {
  readonly at: readonly InputLoss[];
  readonly events: number;
  /** seq of the first input after the first loss: findings from it on are unknown. */
  readonly fromSeq: number;
}

/** Collects losses in input order. */
export class LossLog {
  private readonly items: InputLoss[] = [];
  private from: number | null = null;

  /** Notes a loss before the input of seq `nextSeq`. */
  note(loss: InputLoss, nextSeq: number): void {
    this.items.push(loss);
    this.from ??= nextSeq;
  }

  /** The losses, or undefined when none was noted. */
  result(): InputLosses | undefined {
    if (this.from === null) return undefined;
    return { at: [...this.items], events: this.items.reduce((n, l) => n + l.events, 0), fromSeq: this.from };
  }
}

/** Findings split at the first loss: before it they stand; from it on they are unknown. */
export function splitAtLoss<F extends { readonly seq: number }>(findings: readonly F[], lost: InputLosses | undefined): { findings: F[]; unknown: F[] } {
  if (lost === undefined) return { findings: [...findings], unknown: [] };
  return { findings: findings.filter((f) => f.seq < lost.fromSeq), unknown: findings.filter((f) => f.seq >= lost.fromSeq) };
}

/** The text of one loss, as reports print it. */
export function lossText(l: InputLoss): string {
  if (l.how === 'overwritten') return `${l.events} event(s) before the first event (entries-in-buffer/entries-written: the ring buffer overwrote them)`;
  if (l.how === 'seq gap') return `${l.events} event(s) before line ${l.line} (a seq gap)`;
  return `${l.events} event(s) at line ${l.line}${l.cpu === null ? '' : ` (CPU ${l.cpu}, ${l.how})`}`;
}
