/**
 * Which trace line came right before a record, counting only the records check reads:
 * scheduler, IRQ, softirq and other tracers' events are skipped before lifting
 * (pipeline.ts), so a `sched_switch` logged between the two probes of one function
 * entry must not part them (checker.ts: two probes at one hit share their marker).
 * Kept per record object (a WeakMap), so nothing outlives the records themselves.
 */
import type { TraceRecord } from '../trace/record-types.ts';

const previous = new WeakMap<TraceRecord, number>();

/** Notes `line` as the line of the last record read before `r` (or of an issue line, which parts them). */
export function notePreviousLine(r: TraceRecord, line: number): void {
  previous.set(r, line);
}

/** The line of the record read right before `r`: the line above it when the reader stage noted none. */
export function previousLine(r: TraceRecord): number {
  return previous.get(r) ?? r.line - 1;
}
