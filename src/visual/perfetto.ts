/**
 * Chrome Trace Event JSON (the format ui.perfetto.dev and chrome://tracing open),
 * written as a stream of events through `write` (never built whole): one process
 * per model (named by `M` metadata with the resolved profile), per folio counter
 * tracks `refcount`, `mapcount`, `pincount` (keyed by the head pfn, or where the
 * models shape memory differently by the larger folio's range `0x…-0x…`, summed over
 * the folios in it, as diff compares it), each held reference an async slice
 * from its get to its put (a leak is a slice that never ends), findings and diff
 * divergences as instant events with their explanation in `args`. Pure.
 */
import type { Op } from '../events/op.ts';
import type { RefcountModel } from '../models/model.ts';
import { describeProfile } from '../models/index.ts';
import { hex } from '../kernel/constants.ts';
import type { Divergence } from '../diff/divergence.ts';
import { describeHolder, type Holder } from '../holders/tracker.ts';
import { rangeCounts, timeline, type FolioCounts, type TimelineStep } from './timeline.ts';
import type { HoldersRun } from '../holders/run.ts';
import { folioSpan } from '../diff/folio-view.ts';

/**
 * The pfn ranges where the models' folios differ (a PMD folio in one, 512 order-0
 * pages in the other), each the larger folio's range as diff compares it. A range
 * holds from the Op that first shows it; overlapping ones merge.
 */
class FolioRanges {
  /** Ranges by 512-page block of their pages. */
  private readonly byBlock = new Map<number, [number, number][]>();

  add(lo: number, hi: number): void {
    const hit = this.overlapping(lo, hi);
    for (const r of hit) {
      lo = Math.min(lo, r[0]);
      hi = Math.max(hi, r[1]);
    }
    if (hit.length === 1 && hit[0]![0] === lo && hit[0]![1] === hi) return;
    for (const r of hit) this.each(r[0], r[1], (list) => list.splice(list.indexOf(r), 1));
    const range: [number, number] = [lo, hi];
    this.each(lo, hi, (list) => list.push(range));
  }

  of(pfn: number): readonly [number, number] | undefined {
    return this.byBlock.get(Math.floor(pfn / 512))?.find((r) => r[0] <= pfn && pfn < r[1]);
  }

  private overlapping(lo: number, hi: number): [number, number][] {
    const out = new Set<[number, number]>();
    for (let k = Math.floor(lo / 512); k <= Math.floor((hi - 1) / 512); k++) for (const r of this.byBlock.get(k) ?? []) if (r[0] < hi && lo < r[1]) out.add(r);
    return [...out];
  }

  private each(lo: number, hi: number, f: (list: [number, number][]) => void): void {
    for (let k = Math.floor(lo / 512); k <= Math.floor((hi - 1) / 512); k++) {
      let list = this.byBlock.get(k);
      if (!list) this.byBlock.set(k, (list = []));
      f(list);
    }
  }
}

/** What an export wrote. */
export interface PerfettoSummary {
  readonly events: number;
  /** Holders still held at the end: their slices never end. */
  readonly leaks: readonly { readonly pid: number; readonly id: string; readonly holder: Holder }[];
}

/** Streams the trace of ops under models to `write`. `divergences` (of a two-model diff) go to their own process. */
export function writePerfetto(
  models: readonly RefcountModel[], ops: readonly Op[], tsOf: (op: Op) => number,
  divergences: readonly Divergence[] | undefined, write: (chunk: string) => void,
): PerfettoSummary {
  let n = 0;
  const emit = (e: Record<string, unknown>): void => {
    write(`${n === 0 ? '' : ',\n'}${JSON.stringify(e)}`);
    n++;
  };
  write('{"displayTimeUnit":"ns","traceEvents":[\n');
  const leaks: { pid: number; id: string; holder: Holder }[] = [];
  const ranges = new FolioRanges();
  // the models step in lockstep, so a folio the models shape differently is keyed by
  // the larger folio's range in every model's process, as diff compares it
  const lanes = models.map((model, i) => {
    const pid = i + 1;
    emit({ ph: 'M', name: 'process_name', pid, tid: 0, ts: 0, cat: '__metadata', args: { name: model.profile.name } });
    emit({ ph: 'M', name: 'process_labels', pid, tid: 0, ts: 0, cat: '__metadata', args: { labels: describeProfile(model.profile).join('; ') } });
    emit({ ph: 'M', name: 'process_sort_index', pid, tid: 0, ts: 0, cat: '__metadata', args: { sort_index: pid } });
    const lane = { pid, last: new Map<string, number>(), open: new Set<number>(), step: null as TimelineStep | null, run: null as unknown as HoldersRun };
    lane.run = timeline(model, tsOf, (s) => void (lane.step = s));
    return lane;
  });
  const counter = (lane: (typeof lanes)[number], ts: number, name: string, c: Omit<FolioCounts, 'head' | 'order'>): void => {
    for (const [k, v] of [['refcount', c.refcount], ['mapcount', c.mapcount], ['pincount', c.pincount]] as const) {
      const key = `${name} ${k}`;
      if (lane.last.get(key) === v) continue;
      lane.last.set(key, v);
      emit({ ph: 'C', name: key, pid: lane.pid, tid: 0, ts, cat: 'counter', args: { value: v } });
    }
  };
  for (const op of ops) {
    for (const lane of lanes) lane.run.push(op);
    const views = lanes.map((l) => l.run.runner.draft.view());
    // the ranges this Op touched where the models' folios differ
    for (const lane of lanes) {
      for (const f of lane.step!.folios) {
        const spans = views.map((v) => folioSpan(v, f.head));
        if (spans.every(([a, b]) => a === spans[0]![0] && b === spans[0]![1])) continue;
        ranges.add(Math.min(...spans.map((x) => x[0])), Math.max(...spans.map((x) => x[1])));
      }
    }
    for (const lane of lanes) {
      const s = lane.step!;
      const done = new Set<number>();
      for (const f of s.folios) {
        const r = ranges.of(f.head);
        if (r === undefined) {
          counter(lane, s.ts, hex(f.head), f);
          continue;
        }
        if (done.has(r[0])) continue;
        done.add(r[0]);
        // the range in every model: one model's change moves only its own sum, the others' stay
        for (const other of lanes) counter(other, s.ts, `${hex(r[0])}-${hex(r[1] - 1)}`, rangeCounts(other.run, r[0], r[1]));
      }
      const { pid, open } = lane;
      for (const c of s.changes) {
        const h = c.holder;
        const base = { name: `${h.kind} ${h.origin}`, pid, tid: 0, cat: `holder,${h.kind}`, id: `${pid}:${h.id}` };
        if (c.what === 'begin') {
          open.add(h.id);
          emit({ ph: 'b', ...base, ts: c.at === 0 ? 0 : s.ts, args: { pfn: hex(h.pfn), holder: describeHolder(h), since: h.since, ...(h.line !== undefined ? { line: h.line } : {}) } });
        } else if (open.delete(h.id)) {
          emit({ ph: 'e', ...base, ts: s.ts, args: { endedBy: `${h.endedBy ?? '?'} #${h.until ?? '?'}`, inferred: h.inferred } });
        }
      }
      for (const f of s.findings) {
        emit({ ph: 'i', s: 'p', name: f.code, pid, tid: 0, ts: s.ts, cat: 'finding', args: { severity: f.severity, seq: f.seq, pfn: f.pfn >= 0 ? hex(f.pfn) : null, function: f.function, message: f.message } });
      }
    }
  }
  const end = ops.length ? tsOf(ops[ops.length - 1]!) : 0;
  for (const { pid, open, run } of lanes) {
    for (const h of run.tracker.leaks()) if (open.has(h.id)) leaks.push({ pid, id: `${pid}:${h.id}`, holder: h });
    // mappings and idle references still held when the input ends are no leak: their
    // slices end with the input; a leaked reference's slice never ends
    for (const pfn of run.tracker.pages()) {
      for (const h of run.tracker.holdersOf(pfn)) {
        if ((h.kind !== 'map' && h.kind !== 'idle') || !open.delete(h.id)) continue;
        emit({ ph: 'e', name: `${h.kind} ${h.origin}`, pid, tid: 0, cat: `holder,${h.kind}`, id: `${pid}:${h.id}`, ts: end, args: { heldAtEnd: true } });
      }
    }
  }
  if (divergences && divergences.length > 0 && models.length === 2) {
    const pid = models.length + 1;
    emit({ ph: 'M', name: 'process_name', pid, tid: 0, ts: 0, cat: '__metadata', args: { name: `diff ${models[0]!.profile.name} vs ${models[1]!.profile.name}` } });
    const bySeq = new Map(ops.map((o) => [o.seq, o]));
    for (const d of divergences) {
      const op = bySeq.get(d.seq);
      emit({
        ph: 'i', s: 'g', name: `${d.class} ${hex(d.pfn)}`, pid, tid: 0, ts: op ? tsOf(op) : d.seq, cat: `divergence,${d.class}`,
        args: { seq: d.seq, op: d.op, ...(d.line !== undefined ? { line: d.line } : {}), field: d.field, a: String(d.a), b: String(d.b), explanation: d.explanation },
      });
    }
  }
  write('\n]}\n');
  return { events: n, leaks };
}
