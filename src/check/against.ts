/**
 * `check A --against B`: predict one kernel from another. Trace A is lifted and its
 * Ops replayed under trace B's profile; at each of A's PHASE boundaries the state is
 * compared with B's snap line of the same phase (the word after PHASE and its
 * ordinal). A difference that an Op kind A cannot observe may explain is `unknown`
 * (naming those kinds); any other difference is a mismatch. Either way the replay
 * continues from B's recorded value.
 *
 * A is also checked against itself, under its own profile: a reference drop its own
 * snaps show and its probes did not (a device-dax pipe buffer released by put_page(),
 * events/traces/k72-devdax-devdaxwork.trace.txt between lines 229 and 231) is a put
 * that happened, so it is replayed under B as one, at that snap.
 */
import { DEFAULT_VMEMMAP_BASE } from '../kernel/constants.ts';
import { vmemmapBaseOf } from '../trace/vmemmap.ts';
import type { LiftStreamItem } from '../lift/lift-trace.ts';
import { PhaseCounter, phaseKey } from '../lift/phases.ts';
import { isSnapProbe } from '../lift/record-view.ts';
import { unobservable } from '../lift/observability.ts';
import type { Observability } from '../lift/types.ts';
import { createModel } from '../models/index.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import type { ParseIssue } from '../trace/issues.ts';
import type { TraceRecord } from '../trace/record-types.ts';
import { stateView } from '../state/accessors.ts';
import type { SimState } from '../state/sim-state.ts';
import { Checker } from './checker.ts';
import { explainingKinds } from './explain-unknown.ts';
import { snapObservations, type SnapObservation } from './observations.ts';
import { kernelOf, pickProfile, recordingProfile } from './profile-pick.ts';
import { readField } from './read-field.ts';
import { resyncEvents } from './resync.ts';
import type { Untraced } from './result.ts';
import { outcomeOf, type CheckOptions, type CheckRun } from './run-check.ts';
import { agree } from './words.ts';
import type { PageLayout } from '../models/kernel-facts.ts';

/** Trace B as the reference: its header and its records (only the snap lines matter). */
export interface Reference {
  readonly header: TraceHeader;
  readonly records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>;
}

/** B's snap observations by phase key, each field read by B's layout. */
export async function snapsByPhase(records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>, layout: PageLayout | null = null, vmemmapBase: bigint = DEFAULT_VMEMMAP_BASE): Promise<Map<string, { readonly line: number; readonly fields: SnapObservation[] }>> {
  const out = new Map<string, { line: number; fields: SnapObservation[] }>();
  const phases = new PhaseCounter();
  for await (const r of records) {
    const p = phases.note(r);
    if (p === null || r.kind !== 'kprobe' || !isSnapProbe(r)) continue;
    out.set(phaseKey(p), { line: r.line, fields: snapObservations(r, layout, vmemmapBase) });
  }
  return out;
}

/**
 * Replays A's lifted stream under B's profile and compares with B's snaps. `seen` is
 * what A's probe set observes (from a first pass over A: it is final only at its end).
 */
export async function checkAgainst(a: AsyncIterable<LiftStreamItem> | Iterable<LiftStreamItem>, aName: string, seen: Observability, b: Reference, opts: CheckOptions = {}): Promise<CheckRun> {
  const model = createModel(pickProfile(b.header, opts));
  // each trace's pointers are read with its own kernel's base (a KASLR boot moves it)
  const base = vmemmapBaseOf(b.header, opts.vmemmapBase, DEFAULT_VMEMMAP_BASE);
  const checker = new Checker(model, { vmemmapBase: base });
  // B's snaps are read at B's own offsets, whatever model --model asks for
  const reference = await snapsByPhase(b.records, (recordingProfile(b.header, opts) ?? model.profile).layout, base);
  const phases = new PhaseCounter();
  const issues: ParseIssue[] = [];
  let aKernel = 'unknown';
  const unseen = unobservable(seen);
  const states: SimState[] = [];
  const compared = new Set<string>();
  let self: Checker | null = null;
  const replayed: Untraced[] = [];
  for await (const s of a) {
    if (s.type === 'header') {
      aKernel = s.header.kernel ?? 'unknown';
      self = new Checker(createModel(pickProfile(s.header, {})), { vmemmapBase: vmemmapBaseOf(s.header, opts.vmemmapBase, DEFAULT_VMEMMAP_BASE) });
    } else if (s.type === 'issue') issues.push(s.issue);
    else if (s.type === 'end') continue;
    else if (s.item.kind === 'op') {
      self?.onItem(s.item);
      const before = checker.log.runner.findings.length;
      const logged = checker.log.push(s.item.op);
      const waits = logged.events.some((e) => e.type === 'wait');
      if ((checker.log.runner.findings.length > before || waits) && s.item.op.line !== undefined) checker.opLines.set(s.item.op.seq, s.item.op.line);
      // A's own observations are not compared here: no Op needs to stay in the window
      checker.log.prune(checker.log.nextIndex);
      states.push(checker.log.state());
    } else {
      const seenBefore = self?.tally.untraced.length ?? 0;
      self?.onItem(s.item);
      for (const u of self?.tally.untraced.slice(seenBefore) ?? []) {
        if (replayUntraced(checker, u, s.item.record.line)) replayed.push(u);
      }
      const p = phases.note(s.item.record);
      if (p === null) continue;
      const key = phaseKey(p);
      const ref = reference.get(key);
      if (ref === undefined) continue;
      compared.add(key);
      compare(checker, ref.line, ref.fields, unseen, [...states.splice(0), checker.log.state()]);
      states.push(checker.log.state());
    }
  }
  for (const [key, ref] of reference) {
    if (compared.has(key)) continue;
    for (const f of ref.fields) {
      if (readField(stateView(checker.log.state()), f.pfn, f.field) === null) continue;
      checker.tally.unknown({ line: ref.line, pfn: f.pfn, field: f.name, recorded: f.recorded, simulated: null, function: f.fn, reason: `phase ${key} of the reference is not in ${aName}` });
    }
  }
  const outcome = outcomeOf(checker, model, kernelOf(b.header, opts));
  const reasons = unseen.map((kind) => ({ kind, reason: seen.reasons[kind] ?? '' }));
  return { outcome: { ...outcome, against: { trace: aName, kernel: aKernel, unobservable: reasons, replayed } }, issues, model };
}

/**
 * A reference drop A's own snap showed and no event of A explains (`r_` fell by n):
 * replayed under B as a put of n references of that folio (put_page(), what a pipe
 * buffer or any other plain get is released with). Other untraced changes are not
 * replayed (an increase has no single cause; a mapcount change needs its mapping).
 */
function replayUntraced(checker: Checker, u: Untraced, line: number): boolean {
  if (!/^r_/.test(u.field) || u.after >= u.before) return false;
  const pfn = Number.parseInt(u.pfn, 16);
  const seq = checker.log.nextIndex > 0 ? (checker.log.get(checker.log.nextIndex - 1)?.op.seq ?? 1) : 1;
  checker.log.push({ type: 'put', seq, line, pfn, nr: u.before - u.after, via: 'put_page' });
  checker.log.prune(checker.log.nextIndex);
  return true;
}

/** One reference snap: match, unknown (an unseen kind may explain it) or mismatch; then resync. */
function compare(checker: Checker, line: number, fields: readonly SnapObservation[], unseen: Parameters<typeof explainingKinds>[0], states: readonly SimState[]): void {
  const t = checker.tally;
  for (const f of fields) {
    const now = checker.log.state();
    const src = stateView(now);
    const sim = readField(src, f.pfn, f.field);
    if (sim === null) continue;
    if (agree(f.field, f.recorded, sim, checker.binding)) {
      t.match();
      continue;
    }
    const kinds = typeof sim === 'number' ? explainingKinds(unseen, f.pfn, f.field, states) : [];
    if (kinds.length > 0) {
      t.unknown({ line, pfn: f.pfn, field: f.name, recorded: f.recorded, simulated: sim, function: f.fn, reason: `the replayed trace cannot observe ${kinds.join(', ')}`, kinds });
    } else t.mismatch(line, f.pfn, f.name, f.recorded, sim, f.fn);
    if (typeof sim === 'number' && typeof f.recorded === 'number') checker.log.adjust(resyncEvents(src, f.pfn, f.field, sim, f.recorded, line, f.name));
  }
}
