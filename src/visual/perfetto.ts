/**
 * Chrome Trace Event JSON (the format ui.perfetto.dev and chrome://tracing open),
 * written as a stream of events through `write` (never built whole): one process
 * per model (named by `M` metadata with the resolved profile), per folio counter
 * tracks `refcount`, `mapcount`, `pincount`, each held reference an async slice
 * from its get to its put (a leak is a slice that never ends), findings and diff
 * divergences as instant events with their explanation in `args`. Pure.
 */
import type { Op } from '../events/op.ts';
import type { RefcountModel } from '../models/model.ts';
import { describeProfile } from '../models/index.ts';
import { hex } from '../kernel/constants.ts';
import type { Divergence } from '../diff/divergence.ts';
import { describeHolder, type Holder } from '../holders/tracker.ts';
import { runTimeline } from './timeline.ts';

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
  models.forEach((model, i) => {
    const pid = i + 1;
    emit({ ph: 'M', name: 'process_name', pid, tid: 0, ts: 0, cat: '__metadata', args: { name: model.profile.name } });
    emit({ ph: 'M', name: 'process_labels', pid, tid: 0, ts: 0, cat: '__metadata', args: { labels: describeProfile(model.profile).join('; ') } });
    emit({ ph: 'M', name: 'process_sort_index', pid, tid: 0, ts: 0, cat: '__metadata', args: { sort_index: pid } });
    const last = new Map<string, number>();
    const open = new Set<number>();
    const run = runTimeline(model, ops, tsOf, (s) => {
      for (const f of s.folios) {
        for (const [k, v] of [['refcount', f.refcount], ['mapcount', f.mapcount], ['pincount', f.pincount]] as const) {
          const key = `${hex(f.head)} ${k}`;
          if (last.get(key) === v) continue;
          // a new track starts from its value before the Op (the idle state) so it reads as a step
          last.set(key, v);
          emit({ ph: 'C', name: key, pid, tid: 0, ts: s.ts, cat: 'counter', args: { value: v } });
        }
      }
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
    });
    for (const h of run.tracker.leaks()) if (open.has(h.id)) leaks.push({ pid, id: `${pid}:${h.id}`, holder: h });
    // mappings and idle references still held when the input ends are no leak: their
    // slices end with the input; a leaked reference's slice never ends
    const end = ops.length ? tsOf(ops[ops.length - 1]!) : 0;
    for (const pfn of run.tracker.pages()) {
      for (const h of run.tracker.holdersOf(pfn)) {
        if ((h.kind !== 'map' && h.kind !== 'idle') || !open.delete(h.id)) continue;
        emit({ ph: 'e', name: `${h.kind} ${h.origin}`, pid, tid: 0, cat: `holder,${h.kind}`, id: `${pid}:${h.id}`, ts: end, args: { heldAtEnd: true } });
      }
    }
  });
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
