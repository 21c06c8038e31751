/**
 * Lifting a whole trace: from the reader's item stream (header, records, issues) to
 * the lifted items, streamed; or, for callers that want everything at once (diff on a
 * trace, tests), the Ops, the PHASE markers and the line → phase map.
 */
import type { Op } from '../events/op.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import type { ParseIssue } from '../trace/issues.ts';
import type { TraceItem } from '../trace/trace-reader.ts';
import { Lifter } from './lifter.ts';
import { phaseName, type LiftItem, type LiftOptions, type Observability, type OpLines, type PhasePoint } from './types.ts';

/** One item of a lifted trace stream: the header first, lifted items, reader issues, the end. */
export type LiftStreamItem =
  | { readonly type: 'header'; readonly header: TraceHeader; readonly lifter: Lifter }
  | { readonly type: 'item'; readonly item: LiftItem }
  | { readonly type: 'issue'; readonly issue: ParseIssue }
  | { readonly type: 'end'; readonly observability: Observability; readonly phases: readonly PhasePoint[] };

/** The lifter a stream creates at its header, carried from item to item. */
interface LiftState {
  lifter: Lifter | null;
}

/** Lifts one reader item: the header starts the lifter, records feed it, the end flushes it. */
function liftOne(state: LiftState, it: TraceItem, opts: LiftOptions): LiftStreamItem[] {
  const out: LiftStreamItem[] = [];
  if (it.type === 'header') {
    const lifter = new Lifter(it.header, opts);
    state.lifter = lifter;
    out.push({ type: 'header', header: it.header, lifter });
    for (const item of lifter.start()) out.push({ type: 'item', item });
  } else if (it.type === 'record' && state.lifter) {
    for (const item of state.lifter.push(it.record)) out.push({ type: 'item', item });
  } else if (it.type === 'issue') out.push({ type: 'issue', issue: it.issue });
  else if (it.type === 'end' && state.lifter) {
    for (const item of state.lifter.end()) out.push({ type: 'item', item });
    out.push({ type: 'end', observability: state.lifter.observability(), phases: state.lifter.phases });
  }
  return out;
}

/** Lifts a reader stream (sync), item by item. */
export function* liftItemsSync(items: Iterable<TraceItem>, opts: LiftOptions = {}): Generator<LiftStreamItem> {
  const state: LiftState = { lifter: null };
  for (const it of items) yield* liftOne(state, it, opts);
}

/** Lifts a reader stream (async, constant memory), item by item. */
export async function* liftItems(items: AsyncIterable<TraceItem>, opts: LiftOptions = {}): AsyncGenerator<LiftStreamItem> {
  const state: LiftState = { lifter: null };
  for await (const it of items) yield* liftOne(state, it, opts);
}

/** A trace lifted whole. */
export interface LiftedTrace {
  readonly header: TraceHeader;
  readonly ops: readonly Op[];
  readonly items: readonly LiftItem[];
  /** PHASE markers in order. */
  readonly phaseList: readonly PhasePoint[];
  /** Op line → the phase it ran in (`word`, or `word#n` for the n-th phase of that word). */
  readonly phases: ReadonlyMap<number, string>;
  readonly observability: Observability;
  readonly issues: readonly ParseIssue[];
  /** Op seq → where its records lie (the lines holders cites), for the Ops lifted from records. */
  readonly opLines: ReadonlyMap<number, OpLines>;
}

/** Collects a lifted stream. */
export async function collectLifted(stream: AsyncIterable<LiftStreamItem> | Iterable<LiftStreamItem>): Promise<LiftedTrace> {
  let header: TraceHeader | null = null;
  const items: LiftItem[] = [];
  const issues: ParseIssue[] = [];
  let end: Extract<LiftStreamItem, { type: 'end' }> | null = null;
  for await (const s of stream) {
    if (s.type === 'header') header = s.header;
    else if (s.type === 'item') items.push(s.item);
    else if (s.type === 'issue') issues.push(s.issue);
    else end = s;
  }
  if (header === null || end === null) throw new Error('trace stream ended without its header or end');
  const ops = items.flatMap((i) => (i.kind === 'op' ? [i.op] : []));
  return { header, ops, items, phaseList: end.phases, phases: phaseMap(ops, end.phases), observability: end.observability, issues, opLines: opLinesOf(items) };
}

/** Op seq → its grabbed pages' lines and its first and last record's line. */
export function opLinesOf(items: readonly LiftItem[]): Map<number, OpLines> {
  const out = new Map<number, OpLines>();
  for (const i of items) {
    if (i.kind !== 'op' || i.records.length === 0) continue;
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (const r of i.records) {
      first = Math.min(first, r.line);
      last = Math.max(last, r.line);
    }
    out.set(i.op.seq, { pages: i.pageLines ?? [], first, last });
  }
  return out;
}

/** Op line → the phase in force at that line (the last marker before it). */
export function phaseMap(ops: readonly Op[], phases: readonly PhasePoint[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const op of ops) {
    if (op.line === undefined) continue;
    const p = phaseAtLine(phases, op.line);
    if (p !== undefined) out.set(op.line, phaseName(p));
  }
  return out;
}

/** The phase in force at a trace line (binary search over the markers). */
export function phaseAtLine(phases: readonly PhasePoint[], line: number): PhasePoint | undefined {
  let lo = 0;
  let hi = phases.length - 1;
  let found: PhasePoint | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = phases[mid]!;
    if (p.line <= line) {
      found = p;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
