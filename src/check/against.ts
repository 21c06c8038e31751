/**
 * `check A --against B`: predict one kernel from another. Trace A is lifted and its
 * Ops replayed under trace B's profile; at each of A's PHASE boundaries the state is
 * compared with B's snap line of the same phase (the word after PHASE and its
 * ordinal). A difference that an Op kind A cannot observe may explain is `unknown`
 * (naming those kinds); any other difference is a mismatch. Either way the replay
 * continues from B's recorded value.
 */
import { DEFAULT_VMEMMAP_BASE } from '../kernel/constants.ts';
import type { LiftStreamItem } from '../lift/lift-trace.ts';
import { PhaseCounter, phaseKey } from '../lift/phases.ts';
import { isSnapProbe } from '../lift/record-view.ts';
import { unobservable } from '../lift/observability.ts';
import type { Observability } from '../lift/types.ts';
import { createModel } from '../models/index.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import type { ParseIssue } from '../trace/issues.ts';
import type { TraceRecord } from '../trace/record-types.ts';
import { source } from '../state/accessors.ts';
import type { SimState } from '../state/sim-state.ts';
import { Checker } from './checker.ts';
import { explainingKinds } from './explain-unknown.ts';
import { snapObservations, type SnapObservation } from './observations.ts';
import { kernelOf, pickProfile } from './profile-pick.ts';
import { readField } from './read-field.ts';
import { resyncEvents } from './resync.ts';
import { outcomeOf, type CheckOptions, type CheckRun } from './run-check.ts';

/** Trace B as the reference: its header and its records (only the snap lines matter). */
export interface Reference {
  readonly header: TraceHeader;
  readonly records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>;
}

/** B's snap observations by phase key. */
export async function snapsByPhase(records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>): Promise<Map<string, { readonly line: number; readonly fields: SnapObservation[] }>> {
  const out = new Map<string, { line: number; fields: SnapObservation[] }>();
  const phases = new PhaseCounter();
  for await (const r of records) {
    const p = phases.note(r);
    if (p === null || r.kind !== 'kprobe' || !isSnapProbe(r)) continue;
    out.set(phaseKey(p), { line: r.line, fields: snapObservations(r) });
  }
  return out;
}

/**
 * Replays A's lifted stream under B's profile and compares with B's snaps. `seen` is
 * what A's probe set observes (from a first pass over A: it is final only at its end).
 */
export async function checkAgainst(a: AsyncIterable<LiftStreamItem> | Iterable<LiftStreamItem>, aName: string, seen: Observability, b: Reference, opts: CheckOptions = {}): Promise<CheckRun> {
  const model = createModel(pickProfile(b.header, opts));
  const checker = new Checker(model, { vmemmapBase: opts.vmemmapBase ?? DEFAULT_VMEMMAP_BASE });
  const reference = await snapsByPhase(b.records);
  const phases = new PhaseCounter();
  const issues: ParseIssue[] = [];
  let aKernel = 'unknown';
  const unseen = unobservable(seen);
  const states: SimState[] = [];
  const compared = new Set<string>();
  for await (const s of a) {
    if (s.type === 'header') aKernel = s.header.kernel ?? 'unknown';
    else if (s.type === 'issue') issues.push(s.issue);
    else if (s.type === 'end') continue;
    else if (s.item.kind === 'op') {
      const before = checker.log.runner.findings.length;
      checker.log.push(s.item.op);
      if (checker.log.runner.findings.length > before && s.item.op.line !== undefined) checker.opLines.set(s.item.op.seq, s.item.op.line);
      // A's own observations are not compared here: no Op needs to stay in the window
      checker.log.prune(checker.log.nextIndex);
      states.push(checker.log.state());
    } else {
      const p = phases.note(s.item.record);
      if (p === null) continue;
      const key = phaseKey(p);
      const ref = reference.get(key);
      if (ref === undefined) continue;
      compared.add(key);
      compare(checker, ref.line, ref.fields, unseen, states.splice(0));
      states.push(checker.log.state());
    }
  }
  for (const [key, ref] of reference) {
    if (compared.has(key)) continue;
    for (const f of ref.fields) {
      if (readField(source(checker.log.state()), f.pfn, f.field) === null) continue;
      checker.tally.unknown({ line: ref.line, pfn: f.pfn, field: f.name, recorded: f.recorded, simulated: null, function: f.fn, reason: `phase ${key} of the reference is not in ${aName}` });
    }
  }
  const outcome = outcomeOf(checker, model, kernelOf(b.header, opts));
  const reasons = unseen.map((kind) => ({ kind, reason: seen.reasons[kind] ?? '' }));
  return { outcome: { ...outcome, against: { trace: aName, kernel: aKernel, unobservable: reasons } }, issues, model };
}

/** One reference snap: match, unknown (an unseen kind may explain it) or mismatch; then resync. */
function compare(checker: Checker, line: number, fields: readonly SnapObservation[], unseen: Parameters<typeof explainingKinds>[0], states: readonly SimState[]): void {
  const t = checker.tally;
  for (const f of fields) {
    const now = checker.log.state();
    const src = source(now);
    const sim = readField(src, f.pfn, f.field);
    if (sim === null) continue;
    if (sim === f.recorded) {
      t.match();
      continue;
    }
    const kinds = explainingKinds(unseen, f.pfn, f.field, [...states, now]);
    if (kinds.length > 0) {
      t.unknown({ line, pfn: f.pfn, field: f.name, recorded: f.recorded, simulated: sim, function: f.fn, reason: `the replayed trace cannot observe ${kinds.join(', ')}`, kinds });
    } else t.mismatch(line, f.pfn, f.name, f.recorded, sim, f.fn);
    checker.log.adjust(resyncEvents(src, f.pfn, f.field, sim, f.recorded));
  }
}
