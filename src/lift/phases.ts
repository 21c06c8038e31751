/**
 * PHASE boundaries of a recording: each trace_marker write of the workload, keyed by
 * the word after `PHASE` (or, for another marker such as `RESULT …`, its first word)
 * and its ordinal, so that two runs of one workload on two kernels can be lined up
 * phase by phase while the marker texts differ in addresses and timings. A snap line
 * comes just before its marker and carries the same text, so the pair counts once.
 */
import type { TraceRecord } from '../trace/record-types.ts';
import { isSnapProbe, snapText } from './record-view.ts';
import type { PhasePoint } from './types.ts';

/** Counts phases as records go by. */
export class PhaseCounter {
  private readonly counts = new Map<string, number>();
  private last: PhasePoint | null = null;
  readonly points: PhasePoint[] = [];

  /** The phase a marker or snap line begins, or null (another record, or the marker of a snap already counted). */
  note(r: TraceRecord): PhasePoint | null {
    const fromSnap = isSnapProbe(r);
    const text = r.kind === 'marker' ? r.text : fromSnap && r.kind === 'kprobe' ? snapText(r) : null;
    if (text === null) return null;
    if (r.kind === 'marker' && this.last !== null && this.last.fromSnap && this.last.text === text) {
      this.last = { ...this.last, fromSnap: false };
      return null;
    }
    const word = /^PHASE\s+(\S+)/.exec(text)?.[1] ?? text.trim().split(/\s+/)[0] ?? '';
    const ordinal = (this.counts.get(word) ?? 0) + 1;
    this.counts.set(word, ordinal);
    const p: PhasePoint = { word, ordinal, line: r.line, text, fromSnap };
    this.points.push(p);
    this.last = p;
    return p;
  }
}

/** The key two runs share for a phase: `word#ordinal`. */
export function phaseKey(p: Pick<PhasePoint, 'word' | 'ordinal'>): string {
  return `${p.word}#${p.ordinal}`;
}
