/**
 * What the evidence of the listed findings (finding-evidence.ts) reads from a trace
 * file, gathered in streamed passes that keep only that: the Ops and records each
 * finding's evidence names, and the text of their lines. Reading the trace whole (every
 * Op, every record, every line as a string) made `check` hold the trace when a
 * missed wakeup was listed; this holds a few Ops and records per finding.
 *
 * The evidence built from this input is the one built from the whole trace: each thing
 * missedWakeupEvidence looks up is a first or last match of a test on one Op or record
 * (the grab before the put, the records between it and the put that name the page, the
 * first record and the first snap after the put, the last record of each wake-path
 * probe, the last RESULT marker), and every such match is kept here, in trace order.
 */
import type { Op } from '../events/op.ts';
import { readWantedLines } from '../io/wanted-lines.ts';
import { liftItems } from '../lift/lift-trace.ts';
import type { FindingJson } from '../report/replay-json.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import { streamTraceFile } from '../trace/read-file.ts';
import type { TraceRecord } from '../trace/record-types.ts';
import { namesPfn, takesReference, WAKE_PATH, waiterSeqOf, type EvidenceInput } from './finding-evidence.ts';

/** One missed-wakeup finding and what the passes found for it. */
interface Wanted {
  readonly seq: number;
  readonly pfn: number;
  readonly waiter: number | undefined;
  grab: Op | undefined;
  /** First line of its record window, its put's line, its waiter's line (pass 2). */
  from: number;
  putLine: number;
  waiterLine: number | undefined;
  next: TraceRecord | undefined;
  snap: TraceRecord | undefined;
}

/** The part of a trace file the evidence of `findings` reads (null: no missed wakeup among them, or the trace has no header). */
export async function evidenceInputOf(trace: string, findings: readonly FindingJson[], vmemmapBase: bigint | undefined): Promise<Omit<EvidenceInput, 'putPath' | 'profile'> | null> {
  const wanted: Wanted[] = [];
  for (const f of findings) {
    if (f.code !== 'missed-wakeup' || f.pfn === null) continue;
    wanted.push({ seq: f.seq, pfn: Number(f.pfn), waiter: waiterSeqOf(f), grab: undefined, from: 0, putLine: 0, waiterLine: undefined, next: undefined, snap: undefined });
  }
  if (wanted.length === 0) return null;
  const byPfn = new Map<number, Wanted[]>();
  for (const w of wanted) byPfn.set(w.pfn, [...(byPfn.get(w.pfn) ?? []), w]);
  const named = new Set<number>();
  for (const w of wanted) {
    named.add(w.seq);
    if (w.waiter !== undefined) named.add(w.waiter);
  }

  // pass 1, the Ops: the puts and waiters by seq, and each finding's last grab before its put
  let header: TraceHeader | null = null;
  const bySeq = new Map<number, Op>();
  /** Emission order of the Ops kept (the evidence reads its Ops in that order). */
  const order = new Map<Op, number>();
  let emitted = 0;
  for await (const s of liftItems(streamTraceFile(trace), vmemmapBase !== undefined ? { vmemmapBase, phases: false } : { phases: false })) {
    if (s.type === 'header') header = s.header;
    if (s.type !== 'item' || s.item.kind !== 'op') continue;
    const op = s.item.op;
    emitted++;
    if (named.has(op.seq)) {
      bySeq.set(op.seq, op);
      order.set(op, emitted);
    }
    if (op.type !== 'dio.grab' && op.type !== 'gup.get' && op.type !== 'gup.pin') continue;
    for (const [pfn, ws] of byPfn) {
      if (!takesReference(op, pfn)) continue;
      for (const w of ws) {
        if (op.seq >= w.seq) continue;
        w.grab = op;
        order.set(op, emitted);
      }
    }
  }
  if (header === null) return null;
  const ops = new Map<number, Op>();
  const keptOps = new Set<Op>([...bySeq.values()]);
  for (const w of wanted) if (w.grab !== undefined) keptOps.add(w.grab);
  for (const op of [...keptOps].sort((a, b) => order.get(a)! - order.get(b)!)) ops.set(op.seq, op);

  // pass 2, the records the evidence of each finding reads
  const placed: Wanted[] = [];
  for (const w of wanted) {
    const put = ops.get(w.seq);
    if (put?.line === undefined) continue;
    const waiter = w.waiter === undefined ? undefined : ops.get(w.waiter);
    w.putLine = put.line;
    w.waiterLine = waiter?.line;
    w.from = w.grab?.line ?? waiter?.line ?? put.line;
    placed.push(w);
  }
  const atLine = new Set<number>();
  for (const w of placed) {
    atLine.add(w.putLine);
    if (w.waiterLine !== undefined) atLine.add(w.waiterLine);
  }
  // by put line: the first record after each put is the next one read past it
  const byPut = [...placed].sort((a, b) => a.putLine - b.putLine);
  let unnexted = 0;
  const kept = new Set<TraceRecord>();
  const lastOf = new Map<string, TraceRecord>();
  let result: TraceRecord | undefined;
  for await (const it of streamTraceFile(trace)) {
    if (it.type !== 'record') continue;
    const r = it.record;
    if (atLine.has(r.line)) kept.add(r);
    while (unnexted < byPut.length && byPut[unnexted]!.putLine < r.line) {
      byPut[unnexted]!.next = r;
      kept.add(r);
      unnexted++;
    }
    if (r.kind === 'marker' && /^RESULT\b/.test(r.text)) result = r;
    if (r.kind !== 'kprobe') continue;
    const sym = r.probe?.symbol;
    if (typeof sym === 'string' && WAKE_PATH.includes(sym)) lastOf.set(sym, r);
    for (const [pfn, ws] of byPfn) {
      const snapKey = r.fields[`r_${pfn.toString(16)}`] !== undefined;
      let names: boolean | undefined;
      for (const w of ws) {
        if (w.putLine === 0) continue;
        if (r.line >= w.from && r.line < w.putLine && (names ??= namesPfn(r, pfn, vmemmapBase))) kept.add(r);
        if (snapKey && r.line > w.putLine && w.snap === undefined) {
          w.snap = r;
          kept.add(r);
        }
      }
    }
  }
  for (const r of lastOf.values()) kept.add(r);
  if (result !== undefined) kept.add(result);
  const records = [...kept].sort((a, b) => a.line - b.line);
  const lines = await readWantedLines(trace, new Set([...records.map((r) => r.line), ...atLine]));
  return { header, records, ops, lineText: (l) => lines.get(l), ...(vmemmapBase !== undefined ? { vmemmapBase } : {}) };
}
