/**
 * Lossy input: ftrace's `CPU:N [LOST n EVENTS]`, trace-cmd's `CPU:N [n EVENTS DROPPED]`
 * and an `entries-in-buffer/entries-written` header whose counts differ (the ring
 * buffer overwrote the oldest events) mean that some refcount changes are not in the
 * trace. Any folio may have been touched by a lost event, so from the first loss on, a
 * disagreement is `unknown` (with the loss as its reason), never a mismatch, an
 * untraced change or a finding: the tri-state verdict Knossos gives an incomplete
 * history. Agreements still count as matched.
 */

/** One place events were lost. */
export interface Loss {
  /** The line of the loss marker (0: before the first event, an overwritten ring buffer). */
  readonly line: number;
  /** CPU whose buffer lost them, null when not said. */
  readonly cpu: number | null;
  readonly events: number;
  /** How the trace said it. */
  readonly how: 'LOST' | 'DROPPED' | 'overwritten';
}

/** The losses of one trace, in line order. */
export class LossTracker {
  private readonly items: Loss[] = [];

  /** Notes a loss. */
  note(loss: Loss): void {
    this.items.push(loss);
  }

  /** The losses so far. */
  get list(): readonly Loss[] {
    return this.items;
  }

  /** Events lost in all. */
  get events(): number {
    return this.items.reduce((n, l) => n + l.events, 0);
  }

  /** The reason an observation at `line` is undecidable, or null when nothing was lost before it. */
  since(line: number): string | null {
    // the common case, asked for every observation: nothing lost
    if (this.items.length === 0) return null;
    const first = this.items.find((l) => l.line <= line);
    if (first === undefined) return null;
    const n = this.items.filter((l) => l.line <= line).reduce((s, l) => s + l.events, 0);
    const where = first.line === 0 ? 'before the first event (the ring buffer overwrote them)' : `from line ${first.line} on`;
    return `${n} event(s) lost ${where}: a change the trace does not hold may explain the difference`;
  }
}
