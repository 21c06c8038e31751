/**
 * `check` as a one-way pipeline of streaming stages, each an async generator with a
 * typed boundary (docs/architecture.md §6c):
 *
 * ```
 * reader ──TraceItem──► lifter ──Lifted──► model run ──Run──► comparer ──► report (CheckOutcome)
 * ```
 *
 * - **reader** (src/trace, fed by src/io/open-input.ts): lines → header, records, issues.
 * - **lifter** ({@link liftStage}): picks the mode at the header. With probe definitions
 *   (the header's `# kprobe_events:` or `--probes`), records become Ops (src/lift); with
 *   none, every `page_ref_*` event is a RefEvent ({@link PageRefInput}), since a
 *   page_ref-only trace records every refcount change itself. Unrelated events (other
 *   tracers, scheduler, IRQ) are skipped and counted before the lifter sees them, so
 *   they never split or reorder what they sit between; lost-event lines become losses.
 * - **model run** ({@link runStage}): chooses the profile (the header's kernel,
 *   `--kernel`/`--model`, or, when neither names one, the evidence of the trace, with
 *   the items held until it decides), gathers the evidence of which model recorded
 *   the trace, and replays each Op through the model (its RefEvents and markers).
 * - **comparer** ({@link compareStage}): the Checker (Ops: observations at markers) or
 *   the RefChecker (page_ref events: each against the state it reads).
 * - **report**: the outcome, with assumptions, evidence warnings, losses and counts of
 *   what was skipped.
 *
 * A new input form is a new reader (src/io); nothing downstream changes. The one
 * value that flows back is a resync: the comparer adjusts the run's state to a
 * recorded value after reporting a difference, through the ModelLog it is handed.
 *
 * Each boundary carries batches (`readonly T[]`), not single items: a page_ref-only
 * trace moves one batch per read chunk (thousands of events), so an event costs a
 * loop iteration at each stage, not an async generator step (a promise and its
 * microtask per event per stage, about as much as the fold itself). Lifting to Ops
 * keeps one item per batch: the model run logs each Op only after the comparer has
 * taken everything before it (its resync may change the state the Op starts from),
 * and the lifter runs no further ahead of the model run than it did item by item.
 */
import type { ParseWorkerMode } from '../trace/page-ref-parallel.ts';
import { DEFAULT_VMEMMAP_BASE } from '../kernel/constants.ts';
import { Lifter } from '../lift/lifter.ts';
import { deviceRanges } from '../lift/pgmap.ts';
import { hasProbeDefinitions } from '../lift/observability.ts';
import { isSnapDefinition, isSnapProbe, probeFunction } from '../lift/record-view.ts';
import type { LiftItem, Observability } from '../lift/types.ts';
import type { DeviceRange } from '../lift/world.ts';
import { createModel, describeProfile, resolveProfile, ProfileError, type Profile, type RefcountModel } from '../models/index.ts';
import type { Finding } from '../state/finding.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import type { ParseIssue } from '../trace/issues.ts';
import type { PageRefRecord, TraceRecord } from '../trace/record-types.ts';
import type { ProbeDefinition } from '../trace/probe-definition.ts';
import { lostEventsOf, type TraceItem } from '../trace/trace-reader.ts';
import { priorCount } from '../trace/page-ref-events.ts';
import { Assumptions } from './assumptions.ts';
import { Checker } from './checker.ts';
import { EvidenceCollector, evidenceWarning } from './evidence.ts';
import { LossTracker } from './loss.ts';
import type { LoggedOp } from './model-log.ts';
import { headerKconfig, headerLayout, type ProfileChoice } from './profile-pick.ts';
import { vmemmapBaseOf } from '../trace/vmemmap.ts';
import { RefChecker, type PageRefInput } from './ref-check.ts';
import { addOmitted, countOmitted, type ObservationVerdict } from './tally.ts';
import { FindingTally } from './finding-tally.ts';
import type { CheckOutcome } from './result.ts';
import { snapObservations } from './observations.ts';
import { notePreviousLine } from './record-order.ts';
import { noteTouches } from './touched-pages.ts';

/** Options of a pipeline check. */
export interface PipelineOptions extends ProfileChoice {
  readonly vmemmapBase?: bigint;
  /** pgmaps given with --pmem (they replace the header's). */
  readonly pmem?: readonly DeviceRange[];
  /** Probe definitions given with --probes (added to the header's). */
  readonly probes?: readonly ProbeDefinition[];
  /** Whether a plain trace file is split and scanned in a worker thread (page-ref-parallel.ts; default: the environment's, else `never`). */
  readonly parseWorker?: ParseWorkerMode;
  /** Read size in bytes of a plain trace file (default 1 MiB; tests make chunk boundaries fall inside lines). */
  readonly chunkBytes?: number;
  /** Told every observation as it is decided (`report --html` of a trace draws them). */
  readonly observe?: (o: ObservationVerdict) => void;
  /**
   * Unknowns kept in full; the rest are counted by `field: reason` (outcome
   * unknownsOmitted), so memory does not grow with the trace. All by default (the JSON
   * report lists every one); the text report prints only MAX_UNKNOWN_LINES.
   */
  readonly keepUnknowns?: number;
  /**
   * Mismatches, untraced changes and findings kept in full; the rest are counted
   * (outcome notListed), so memory does not grow with a trace that disagrees at every
   * event. All by default; `check --max-details`.
   */
  readonly maxDetails?: number;
}

/** How the lifter reads a trace. */
export type LiftMode = 'ops' | 'refs';

/**
 * A page_ref event as it flows through the stages: the comparer's input itself, tagged
 * (one object per event from the reader to the comparer: a wrapper around it was a
 * second allocation per event, about a tenth of what check allocated).
 */
export type RefItem = PageRefInput & { readonly type: 'ref' };

/** What the lifter hands to the model run. */
export type Lifted =
  | { readonly type: 'start'; readonly header: TraceHeader; readonly mode: LiftMode; readonly ranges: readonly DeviceRange[]; readonly rangeSource: 'header' | '--pmem' | 'none'; readonly lifter: Lifter | null }
  | { readonly type: 'item'; readonly item: LiftItem }
  | RefItem
  | { readonly type: 'skipped'; readonly what: string; readonly line: number; readonly count?: number }
  | { readonly type: 'loss'; readonly line: number; readonly cpu: number | null; readonly events: number; readonly how: 'LOST' | 'DROPPED' | 'overwritten' }
  | { readonly type: 'issue'; readonly issue: ParseIssue }
  | { readonly type: 'end'; readonly observability: Observability | null; readonly silentProbes: readonly string[] };

/** What the model run hands to the comparer. */
export type Run =
  | { readonly type: 'start'; readonly header: TraceHeader; readonly mode: LiftMode; readonly model: RefcountModel; readonly ranges: readonly DeviceRange[]; readonly infer: boolean }
  | { readonly type: 'op'; readonly logged: LoggedOp; readonly item: Extract<LiftItem, { kind: 'op' }> }
  | { readonly type: 'record'; readonly record: TraceRecord }
  | RefItem
  | { readonly type: 'end' };

/** What every stage adds to the report as it goes. */
export class CheckContext {
  readonly assumptions = new Assumptions();
  readonly evidence = new EvidenceCollector();
  readonly loss = new LossTracker();
  readonly issues: ParseIssue[] = [];
  readonly warnings: string[] = [];
  /** Probes the header defines of which the trace holds no event (set at the end; see mismatchAssumption). */
  silentProbes: readonly string[] = [];
  /** Records not lifted, by what they are. */
  readonly skipped = new Map<string, number>();
  kernel = 'unknown';
  /** The trace's header, once read. */
  header: TraceHeader | null = null;
  mode: LiftMode = 'ops';
  model: RefcountModel | null = null;
  checker: Checker | null = null;
  refChecker: RefChecker | null = null;
  /** PipelineOptions.observe, handed to the comparer's tally. */
  observe: ((o: ObservationVerdict) => void) | null = null;
  /** PipelineOptions.keepUnknowns. */
  keepUnknowns: number | undefined = undefined;
  /** PipelineOptions.maxDetails. */
  maxDetails: number | undefined = undefined;
  /** The findings of a check, decided as they are raised (null: decided at the end, from the Runner's: a check that never started). */
  findings: FindingTally | null = null;
  /** The reason an observation at a line is undecidable (a loss before it), for the comparer's tally. */
  readonly lostSince = (line: number): string | null => this.loss.since(line);

  skip(what: string, n = 1): void {
    this.skipped.set(what, (this.skipped.get(what) ?? 0) + n);
  }
}

/** The `head` flag of a page_ref record (null when its flags could not be decoded). */
function headFlag(r: PageRefRecord): boolean | null {
  return r.flags.names === null ? null : r.flags.names.includes('head');
}

/** A page_ref record as the comparer reads it. */
export function pageRefInput(r: PageRefRecord): RefItem {
  return { type: 'ref', line: r.line, op: r.op, pfn: r.pfn, count: r.count, val: r.val, ret: r.ret, mapcount: r.mapcount, head: headFlag(r) };
}

/** Records no lifter reads: other tracers, the scheduler, IRQs (their event name, for the count). */
function unrelated(r: TraceRecord): string | null {
  return r.kind === 'generic' ? r.event : null;
}

/**
 * What the reader stage hands on: the full reader's items, or (for a trace read as
 * page_ref events, see {@link liftModeOf}) page_ref events straight from the byte
 * scanner, and the count of the lines it left unread.
 */
export type ReadItem = TraceItem | RefItem | { readonly type: 'unread'; readonly lines: number };

/** How a trace is lifted: Ops when probe definitions are known (the header's, or --probes), else page_ref events as RefEvents. */
export function liftModeOf(header: TraceHeader, opts: Pick<PipelineOptions, 'probes'>): LiftMode {
  return hasProbeDefinitions(header, opts.probes?.length ?? 0) ? 'ops' : 'refs';
}

/** The lifter stage; see the file comment. */
export async function* liftStage(items: AsyncIterable<readonly ReadItem[]>, opts: PipelineOptions): AsyncGenerator<readonly Lifted[]> {
  const at = { lifter: null as Lifter | null, mode: 'ops' as LiftMode, lastRead: 0, header: null as TraceHeader | null, probed: new Set<string>() };
  for await (const batch of items) {
    // the hot path of a page_ref trace: a batch of page_ref events only is already the
    // Lifted one (no copy of thousands of items a batch)
    if (onlyRefs(batch)) {
      yield batch;
      continue;
    }
    let out: Lifted[] = [];
    for (const it of batch) {
      // a page_ref event is already the Lifted item (same shape)
      if (it.type === 'ref') {
        out.push(it);
        continue;
      }
      for (const l of liftOne(it, at, opts)) {
        if (at.mode === 'refs') out.push(l);
        else {
          // Ops: one item per batch, as lazily as item by item (see the file comment)
          if (out.length > 0) yield out;
          out = [];
          yield [l];
        }
      }
    }
    if (out.length > 0) yield out;
  }
}

/** Whether every item of a batch is a page_ref event (a stage may then pass the batch on as it is). */
function onlyRefs(batch: readonly { readonly type: string }[]): batch is readonly RefItem[] {
  for (let i = 0; i < batch.length; i++) if (batch[i]!.type !== 'ref') return false;
  return true;
}

/** What the lifter stage makes of one read item other than a page_ref event (`at`: its lifter and mode, set at the header). */
function* liftOne(it: ReadItem, at: { lifter: Lifter | null; mode: LiftMode; lastRead: number; header: TraceHeader | null; probed: Set<string> }, opts: PipelineOptions): Generator<Lifted> {
  if (it.type === 'header') {
    const h = it.header;
    at.header = h;
    at.mode = liftModeOf(h, opts);
    const fromHeader = deviceRanges(h, vmemmapBaseOf(h, opts.vmemmapBase, DEFAULT_VMEMMAP_BASE));
    const ranges = opts.pmem !== undefined && opts.pmem.length > 0 ? opts.pmem : fromHeader;
    const rangeSource = opts.pmem !== undefined && opts.pmem.length > 0 ? '--pmem' : fromHeader.length > 0 ? 'header' : 'none';
    if (at.mode === 'ops') {
      // no PHASE points: nothing here reads them, and they would grow with the trace
      at.lifter = new Lifter(h, { ...(opts.vmemmapBase !== undefined ? { vmemmapBase: opts.vmemmapBase } : {}), ...(opts.kernel !== undefined ? { kernel: opts.kernel } : {}), ranges, phases: false });
    }
    yield { type: 'start', header: h, mode: at.mode, ranges, rangeSource, lifter: at.lifter };
    if (h.entries !== null && h.entries.written > h.entries.inBuffer) {
      yield { type: 'loss', line: 0, cpu: null, events: h.entries.written - h.entries.inBuffer, how: 'overwritten' };
    }
    if (at.lifter) for (const item of at.lifter.start()) yield { type: 'item', item };
  } else if (it.type === 'ref') {
    yield it;
  } else if (it.type === 'unread') {
    if (it.lines > 0) yield { type: 'skipped', what: 'other lines, not read (no page_ref event)', line: 0, count: it.lines };
  } else if (it.type === 'record') {
    const r = it.record;
    const other = unrelated(r);
    if (other !== null) {
      yield { type: 'skipped', what: other, line: r.line };
      return;
    }
    // adjacency among the records read, the skipped ones aside (record-order.ts)
    notePreviousLine(r, at.lastRead);
    at.lastRead = r.line;
    // which defined probes fired (at most one entry per definition: bounded)
    if (r.kind === 'kprobe' && r.probe !== null) at.probed.add(r.probe.name);
    if (at.mode === 'refs') {
      if (r.kind === 'page_ref') yield pageRefInput(r);
      else yield { type: 'skipped', what: r.kind === 'kprobe' ? `kprobe ${r.event} (no probe definition: give --probes)` : r.event, line: r.line };
      return;
    }
    for (const item of at.lifter!.push(r)) yield { type: 'item', item };
  } else if (it.type === 'issue') {
    if (it.issue.code === 'LOST_EVENTS') {
      const lost = lostEventsOf(it.issue.text);
      if (lost !== null) yield { type: 'loss', line: it.issue.line, cpu: lost.cpu, events: lost.events, how: lost.how };
    }
    // a line that was an event the reader could not read, or lost events, parts the
    // records around it; a warning (an event with no parser, skipped) does not
    if (it.issue.severity === 'error' || it.issue.code === 'LOST_EVENTS') at.lastRead = it.issue.line;
    yield { type: 'issue', issue: it.issue };
  } else {
    if (at.lifter) for (const item of at.lifter.end()) yield { type: 'item', item };
    const silentProbes = at.mode === 'ops' && at.header !== null ? [...new Set(at.header.probes.map((p) => p.name))].filter((n) => !at.probed.has(n)) : [];
    yield { type: 'end', observability: at.lifter?.observability() ?? null, silentProbes };
  }
}

/** Items the model run may hold while the evidence decides the profile. */
const MAX_HELD = 65536;

/** Where the profile came from, for messages. */
function profileSource(header: TraceHeader, opts: ProfileChoice): string | null {
  if (opts.model !== undefined) return `--model ${opts.model}`;
  if (opts.kernel !== undefined) return `--kernel ${opts.kernel}`;
  if (header.kernel !== null) return `the header's kernel=${header.kernel}`;
  return null;
}

/** The model run stage; see the file comment. */
export async function* runStage(lifted: AsyncIterable<readonly Lifted[]>, opts: PipelineOptions, ctx: CheckContext): AsyncGenerator<readonly Run[]> {
  let start: Extract<Lifted, { type: 'start' }> | null = null;
  let model: RefcountModel | null = null;
  let checker: Checker | null = null;
  const held: Lifted[] = [];
  let firstSnap = true;
  let vmemmapBase: bigint | undefined;
  const certainType = (pfn: number): DeviceRange['type'] | null => {
    if (start === null || start.rangeSource === 'none') return null;
    for (const x of start.ranges) if (pfn >= x.pfn && pfn < x.pfn + x.nr) return x.type;
    return null;
  };
  const observe = (l: Lifted): void => {
    // evidence of the recording model, from recorded values alone (no model needed)
    if (l.type === 'ref') ctx.evidence.pageRef(l.line, l.pfn, priorCount(l), l.mapcount, l.head, certainType(l.pfn), l);
    else if (l.type === 'item') {
      const recs = l.item.kind === 'op' ? l.item.records : [l.item.record];
      // the pages touched before the first snap: its value of them is no resting count
      if (firstSnap && start !== null && !(l.item.kind === 'record' && isSnapProbe(l.item.record))) noteTouches(ctx.evidence, l.item, vmemmapBase ??= vmemmapBaseOf(start.header, opts.vmemmapBase, DEFAULT_VMEMMAP_BASE));
      for (const r of recs) {
        if (r.kind === 'page_ref') ctx.evidence.pageRef(r.line, r.pfn, priorCount(r), r.mapcount, headFlag(r), certainType(r.pfn), r);
        else if (r.kind === 'kprobe' && isSnapProbe(r)) {
          if (firstSnap) for (const f of snapObservations(r)) if (f.field === 'refcount' && typeof f.recorded === 'number' && certainType(f.pfn) === 'fsdax') ctx.evidence.restingSnap(r.line, f.pfn, f.recorded);
          if (firstSnap) ctx.evidence.endTouches();
          firstSnap = false;
        } else if (r.kind === 'kprobe') ctx.evidence.probe(r.line, probeFunction(r));
      }
    }
  };
  const begin = (): Run => {
    const s = start!;
    const profile = chooseProfile(s.header, opts, ctx);
    const kconfigAssumed = assumedKconfig(s.header, opts, profile);
    if (kconfigAssumed !== null) ctx.assumptions.add(kconfigAssumed);
    model = createModel(profile);
    ctx.model = model;
    if (s.mode === 'ops') {
      // a put the probes may miss (a unified stock set sees one only when it frees): unseen-puts.ts
      const seen = s.lifter?.observability() ?? null;
      const unseenPut = seen !== null && seen.kinds.put !== 'full' ? (seen.reasons.put ?? 'not every put is probed') : null;
      // findings decided as they become final (checker.ts handOver), so a trace that
      // raises them throughout holds no more than --max-details of them
      const findings = new FindingTally(findingDoubt(ctx, ctx.header), ctx.maxDetails, ctx.keepUnknowns);
      ctx.findings = findings;
      checker = new Checker(model, {
        onFinding: (f, line, opLine) => findings.add(f, line, opLine),
        vmemmapBase: vmemmapBaseOf(s.header, opts.vmemmapBase, DEFAULT_VMEMMAP_BASE), recording: recordingOf(s.header, opts), unseenPut,
        tally: { ...(opts.keepUnknowns !== undefined ? { keepUnknowns: opts.keepUnknowns } : {}), ...(opts.maxDetails !== undefined ? { maxDetails: opts.maxDetails } : {}), lostSince: ctx.lostSince },
      });
      checker.tally.observer = ctx.observe;
      ctx.checker = checker;
    }
    return { type: 'start', header: s.header, mode: s.mode, model, ranges: s.ranges, infer: s.rangeSource === 'none' };
  };
  function* forward(l: Lifted): Generator<Run> {
    if (l.type === 'item') {
      if (l.item.kind === 'op') {
        // the comparer has taken everything before this Op (one Run per batch), so the
        // checker may take it itself: page_ref events before any probe event (checker.ts takeUnprobed)
        if (checker!.takesUnreplayed(l.item)) return;
        yield { type: 'op', logged: checker!.log.push(l.item.op), item: l.item };
      }
      else yield { type: 'record', record: l.item.record };
    } else if (l.type === 'ref') yield l;
  }
  /** What one lifted item makes (lazily: an Op is logged only when its Run is asked for). */
  function* runOne(l: Lifted): Generator<Run> {
    if (l.type === 'start') {
      start = l;
      ctx.header = l.header;
      ctx.mode = l.mode;
      ctx.kernel = opts.kernel ?? l.header.kernel ?? 'unknown';
      // no snap probe defined: no first snap will ask what came before it
      if (![...l.header.probes, ...(opts.probes ?? [])].some(isSnapDefinition)) ctx.evidence.endTouches();
      if (l.mode === 'refs') ctx.assumptions.add('no probe definitions (no # kprobe_events: header, no --probes): every page_ref event is checked as a RefEvent, other events are not lifted');
      if (profileSource(l.header, opts) !== null) yield begin();
      return;
    }
    if (l.type === 'loss') {
      ctx.loss.note({ line: l.line, cpu: l.cpu, events: l.events, how: l.how });
      return;
    }
    if (l.type === 'issue') {
      ctx.issues.push(l.issue);
      return;
    }
    if (l.type === 'skipped') {
      ctx.skip(l.what, l.count);
      return;
    }
    if (l.type === 'end') {
      ctx.silentProbes = l.silentProbes;
      if (model === null && start !== null) {
        yield begin();
        for (const h of held.splice(0)) yield* forward(h);
      }
      yield { type: 'end' };
      return;
    }
    observe(l);
    if (model === null) {
      held.push(l);
      const v = ctx.evidence.verdict();
      if (v === 'legacy' || v === 'unified' || held.length >= MAX_HELD) {
        yield begin();
        for (const h of held.splice(0)) yield* forward(h);
      }
      return;
    }
    yield* forward(l);
  }
  for await (const batch of lifted) {
    // the hot path of a page_ref trace: a batch of page_ref events only, once the model
    // is chosen, goes on as it came (each event observed; its Run is itself)
    if (model !== null && onlyRefs(batch)) {
      for (const l of batch) observe(l);
      yield batch;
      continue;
    }
    let out: Run[] = [];
    for (const l of batch) {
      // the hot path of a page_ref trace: one RefEvent, no generator per item
      if (model !== null && l.type === 'ref') {
        observe(l);
        out.push(l);
        continue;
      }
      for (const r of runOne(l)) {
        if (ctx.mode === 'refs') out.push(r);
        else {
          // Ops: one Run per batch, each Op logged after the comparer took what came before it
          if (out.length > 0) yield out;
          out = [];
          yield [r];
        }
      }
    }
    if (out.length > 0) yield out;
  }
}

/** The profile of a check: the options', the header's, or (neither naming a kernel) the evidence's. */
function chooseProfile(header: TraceHeader, opts: ProfileChoice, ctx: CheckContext): Profile {
  const kconfig = { ...headerKconfig(header), ...(opts.kconfig ?? {}) };
  const source = profileSource(header, opts);
  if (source !== null) {
    const kernel = opts.kernel ?? (opts.model === undefined ? (header.kernel ?? undefined) : undefined);
    return resolveProfile(opts.model, { ...(kernel !== undefined ? { kernel } : {}), kconfig });
  }
  const v = ctx.evidence.verdict();
  if (v === null || v === 'mixed') {
    const why = v !== null
      ? `shows both: ${ctx.evidence.list.map((e) => `line ${e.line}: ${e.text}`).join('; ')}`
      : ctx.mode === 'refs' && ctx.evidence.pageRefPfns === 0
        // a legacy FS DAX fault changes no refcount: a faults-only page_ref trace of 6.1-6.14 has no event
        ? 'has no page_ref event and no probe definitions, so nothing in it tells the models apart or can be compared (give --kernel and --probes with the kprobe_events it was recorded with, or record page_ref events on a CONFIG_DEBUG_PAGE_REF kernel)'
        : 'shows nothing only one model does (looked for: a page at count 0 before its first event or a mapcount of an rmapped page, unified; a put through page_ref_mod_and_return or the devmap hook probe, legacy; a resting snap or --pmem make the idle count 1 of an FS DAX page count too)';
    throw new ProfileError(`the trace names no kernel (no KTRACE-BEGIN kernel=) and ${why}${v === null && ctx.mode === 'refs' && ctx.evidence.pageRefPfns === 0 ? '' : ': give --kernel or --model'}`);
  }
  const profile = resolveProfile(v, { kconfig });
  // the span's versions said: a bare family names its newest span by one recorded version
  // (unified@7.2 for 7.1 and later, 7.3 recorded the same), which alone reads as the newest kernel
  ctx.assumptions.add(`profile ${profile.name} (the newest ${v} profile, for kernels ${profile.from}${profile.to === null ? ' and later' : `–${profile.to}`}) chosen from the evidence, the trace naming no kernel: ${ctx.evidence.list.map((e) => `line ${e.line}: ${e.text}`).join('; ')}; give --kernel for the exact one`);
  return profile;
}

/**
 * The config a check takes as a distribution kernel's (DEFAULT_KCONFIG) when neither the
 * header's `# kconfig:` nor --kconfig gives one: it decides the tail encoding, the struct
 * page layout and whether a fault may map a PMD, and the report prints it like a recorded
 * config, so it is said to be an assumption. The profile names CONFIG_PAGE_MAPCOUNT only
 * for 6.15 and later, the kernels that have the option (defaultKconfig()).
 */
function assumedKconfig(header: TraceHeader, opts: ProfileChoice, profile: Profile): string | null {
  if (Object.keys(header.kconfig).length > 0 || Object.keys(opts.kconfig ?? {}).length > 0) return null;
  const options = Object.entries(profile.kconfig).map(([k, v]) => `${k}=${v}`);
  return `no # kconfig: header and no --kconfig: a distribution kernel's config assumed (${options.join(' ')}); give --kconfig with the recording kernel's .config`;
}

/**
 * The recording kernel's own profile (its print formats and offsets), whatever --model
 * says; its struct page layout is the kernel's own BTF where the header carries it.
 */
function recordingOf(header: TraceHeader, opts: ProfileChoice): Profile | null {
  const kernel = opts.kernel ?? header.kernel ?? undefined;
  if (kernel === undefined) return null;
  try {
    const profile = resolveProfile(undefined, { kernel, kconfig: { ...headerKconfig(header), ...(opts.kconfig ?? {}) } });
    const layout = headerLayout(header);
    return layout === null ? profile : { ...profile, layout };
  } catch (e) {
    if (e instanceof ProfileError) return null;
    throw e;
  }
}

/** The comparer stage: consumes the run and leaves its verdicts in `ctx`. */
export async function compareStage(run: AsyncIterable<readonly Run[]>, ctx: CheckContext): Promise<void> {
  for await (const batch of run) for (const r of batch) compareOne(r, ctx);
}

/** The comparer's work on one Run. */
function compareOne(r: Run, ctx: CheckContext): void {
  if (r.type === 'start') {
    if (r.mode === 'refs') {
      const findings = new FindingTally(findingDoubt(ctx, ctx.header), ctx.maxDetails, ctx.keepUnknowns);
      ctx.findings = findings;
      ctx.refChecker = new RefChecker(r.model, {
        ranges: r.ranges, infer: r.infer, assumptions: ctx.assumptions, loss: ctx.loss, mapcountStyle: r.model.profile.traceMapcount,
        tally: { ...(ctx.keepUnknowns !== undefined ? { keepUnknowns: ctx.keepUnknowns } : {}), ...(ctx.maxDetails !== undefined ? { maxDetails: ctx.maxDetails } : {}), lostSince: ctx.lostSince },
        onFinding: (f, line) => findings.add(f, line),
      });
      ctx.refChecker.tally.observer = ctx.observe;
    }
  } else if (r.type === 'op') ctx.checker!.onLogged(r.logged, r.item);
  else if (r.type === 'record') ctx.checker!.onItem({ kind: 'record', record: r.record });
  else if (r.type === 'ref') ctx.refChecker!.push(r);
  else {
    ctx.checker?.finish();
    const c = ctx.checker;
    if (c !== null && c.pageRefsUnprobed > 0 && !c.probeEventSeen) {
      ctx.assumptions.add(
        `the header defines probes but the trace has no probe event, only page_ref events (the probe lines filtered out?): each page_ref event is folded as its own change, not as a guessed Op; one whose count before it (count − val) differs from the model's is an untraced change, the model resynced to it (${c.resyncedUnprobed} of ${c.pageRefsUnprobed} events); its ret is compared with what that count before it implies; mapcounts are not compared (no fault or unmap is replayed)`,
      );
    } else if (c !== null && c.pageRefsUnprobed > 0) {
      ctx.assumptions.add(`${c.pageRefsUnprobed} page_ref event(s) before the trace's first probe event were folded as their own changes, not lifted (${c.resyncedUnprobed} resynced as untraced); their ret compared, mapcounts not compared there`);
    }
  }
}

/**
 * The assumption of a trace with page_ref events no probe event encloses (checker.ts
 * takeBare): added once the findings are decided (reportOf), as those may be made
 * unknown by it too. Nothing is said when no such event changed what was checked.
 */
function bareAssumption(ctx: CheckContext): void {
  const c = ctx.checker;
  if (c !== null && c.unmodelledDoubted > 0) {
    ctx.assumptions.add(`${c.unmodelledDoubted} finding(s) on a folio where a page_ref event of a lifted operation was a change the model did not make (an unknown above) are unknown, not asserted: from there the model's count of that folio is not the kernel's`);
  }
  if (c !== null && c.firstUnlifted !== null && c.unliftedDoubted > 0) {
    ctx.assumptions.add(
      `${c.unliftedEvents} probe event(s) of a DAX fault's insert or rmap, a GUP's grab or a bio's release are part of no operation the trace shows (first: ${c.firstUnlifted}): no operation is lifted from them; from the first such event on a folio, a disagreement there (mismatch, untraced change, finding) is unknown, the missing operation's mapping, references or pin not being replayed (${c.unliftedDoubted} made unknown)`,
    );
  }
  if (c === null || c.firstBare === null || (c.bareFolded === 0 && c.bareDoubted === 0)) return;
  ctx.assumptions.add(
    `the trace has probe events, but ${c.bareFolded + c.bareReplayed} page_ref event(s) are part of no operation its probe events show (first: ${c.firstBare.what}; the probe lines filtered out, or the probe not enabled?): ${c.bareFolded} folded as their own changes, not lifted as a guessed Op (${c.bareResynced} resynced as untraced, the count before it differing from the model's; their ret compared, mapcounts not), ${c.bareReplayed} decrement(s) of one reference replayed as the put_page() lifted from them (the model's count agreeing before them); from the first such event on a folio, a disagreement there (mismatch, untraced change, finding) is unknown, the missing operation's other effects not being replayed (${c.bareDoubted} made unknown)`,
  );
}

/**
 * A mismatch is the model disagreeing with a recorded value, read as the kernel doing
 * something else; it may instead be an operation the model never saw, because its
 * probe's lines were filtered out of the recording (or the probe was not enabled). The
 * check takes a probe the header defines but with no event as a function that did not
 * run (the only reading a trace allows); where that reading decides a verdict, that is,
 * when there are mismatches, it is said, with the silent probes named.
 */
function mismatchAssumption(ctx: CheckContext, mismatches: number): void {
  const silent = ctx.silentProbes;
  if (mismatches === 0 || silent.length === 0) return;
  // every name (at most the header's definitions): the one filtered out may be any of them
  ctx.assumptions.add(`${silent.length} probe(s) the header defines recorded no event (${silent.join(', ')}): taken as functions that did not run; if their lines were filtered out of the trace, a mismatch reported here may be such a missing operation rather than the kernel disagreeing with the model`);
}

/**
 * Findings the model raises only for an unshared extent: legacy dax_associate_entry()
 * WARNs on a page already associated unless the extent is shared (dax_page_share_get()
 * instead), and dax_disassociate_entry() on a page of another file unless it is shared.
 */
const SHARING_DEPENDENT: ReadonlySet<string> = new Set(['associate-mapped-page', 'disassociate-foreign-page']);
/** Why such a finding is unknown when the filesystem can share extents (xfs reflink) and no event says whether this one is. */
const UNSHARED_ASSUMED =
  'dax_associate_entry()/dax_disassociate_entry() warn only for an unshared extent; whether this extent is shared (a reflink, FICLONE) no event of the trace shows, and the lifter took it as unshared (the header names no filesystem without shared extents, such as ext4)';

/** The header lists an attached dax_insert_entry probe that reads `iomap_flags` (IOMAP_F_SHARED). */
function sharingProbed(header: TraceHeader): boolean {
  const reads = (p: ProbeDefinition | null): boolean => p !== null && p.kind !== 'return' && p.symbol === 'dax_insert_entry' && p.args.some((a) => a.name === 'iomap_flags');
  if (header.attachStatus.length > 0) return header.attachStatus.some((a) => a.ok && reads(a.probe));
  return header.probes.some(reads);
}

/**
 * Why a finding is not asserted (an unknown), or null: a finding after lost events may
 * be the loss's doing, and one that rests on an extent the lifter took as unshared may
 * not be the kernel's. The recorder's dax_insert_entry probe reads IOMAP_F_SHARED on
 * every fault, so the lifter knows each extent's sharing where it was attached (and
 * ext4 shares none).
 */
function findingDoubt(ctx: CheckContext, header: TraceHeader | null): (f: Finding, line: number | undefined) => string | null {
  const sharingUnseen = header === null || (header.fs !== 'ext4' && !sharingProbed(header));
  return (f, line) =>
    ctx.loss.since(line ?? Number.POSITIVE_INFINITY) ??
    (sharingUnseen && SHARING_DEPENDENT.has(f.code) ? UNSHARED_ASSUMED : null) ??
    // a page_ref event no probe event encloses came before it on its folio (checker.ts bareDoubt)
    ctx.checker?.findingDoubt(line ?? Number.POSITIVE_INFINITY, f.pfn) ?? null;
}

/** The report stage: the outcome of a finished check. */
export function reportOf(ctx: CheckContext, header: TraceHeader | null, opts: ProfileChoice): CheckOutcome {
  const model = ctx.model;
  if (model === null) throw new ProfileError('the trace has no header and no events: nothing to check');
  const tally = ctx.checker?.tally ?? ctx.refChecker?.tally;
  const runner = ctx.checker?.log.runner ?? ctx.refChecker?.runner;
  if (tally === undefined || runner === undefined) throw new Error('check pipeline ended without a comparer');
  const source = header === null ? null : profileSource(header, opts);
  if (source !== null) {
    const w = evidenceWarning(model.profile.family, model.profile.name, source, ctx.evidence.list);
    if (w !== null) ctx.warnings.push(w);
  }
  const lines = ctx.checker?.opLines ?? ctx.refChecker?.findingLines ?? new Map<number, number>();
  // decided as they were raised (both modes); a comparer without a tally (none today) from the Runner's
  let found = ctx.findings;
  if (found === null) {
    found = new FindingTally(findingDoubt(ctx, header), ctx.maxDetails, ctx.keepUnknowns);
    for (const f of runner.findings) found.add(f, lines.get(f.seq));
  }
  bareAssumption(ctx);
  mismatchAssumption(ctx, tally.mismatchCount);
  const doubtful = found.doubtful;
  const kept = found.kept;
  const findingCount = found.count;
  const errorsNotListed = found.errorsNotListed;
  // the unknowns in the order the report has always listed them: the comparer's own, then
  // the mismatches, untraced changes and findings a loss made undecidable; past the kept
  // ones (keepUnknowns), counted by reason in the order first seen
  const unknowns: CheckOutcome['unknowns'][number][] = [];
  const omitted = new Map<string, number>();
  const keep = ctx.keepUnknowns ?? Number.POSITIVE_INFINITY;
  // the reasons counted, at most maxDetails (a reason may name a line: as many as the unknowns)
  const maxReasons = ctx.maxDetails ?? Number.POSITIVE_INFINITY;
  let unknownCount = 0;
  for (const list of [tally.unknownList, tally.lostMismatches, tally.lostUntraced, doubtful]) {
    unknownCount += list.count;
    for (const u of list.items) {
      if (omitted.size === 0 && unknowns.length < keep) unknowns.push(u);
      else countOmitted(omitted, u.field, u.reason, maxReasons);
    }
    for (const [k, n] of list.omitted) addOmitted(omitted, k, n, maxReasons);
  }
  const notListed = {
    maxDetails: ctx.maxDetails ?? 0,
    mismatches: tally.mismatchCount - tally.mismatches.length,
    untraced: tally.untracedCount - tally.untraced.length,
    unknowns: unknownCount - unknowns.length,
    findings: findingCount - kept.length,
    errorFindings: errorsNotListed,
  };
  const cut = ctx.maxDetails !== undefined && (notListed.mismatches > 0 || notListed.untraced > 0 || notListed.unknowns > 0 || notListed.findings > 0);
  // by code point, not localeCompare: the order (and so the bytes of every report) must
  // not depend on LANG (cs_CZ puts check_mmio_spte after hrtimer_start)
  const skipped = [...ctx.skipped].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([what, n]) => ({ event: what, count: n }));
  return {
    kernel: ctx.kernel,
    profile: model.profile.name,
    kconfig: model.profile.kconfig,
    details: describeProfile(model.profile),
    // every observation once: the tally counted each mismatch and untraced change a loss
    // made unknown when it was decided (lostMismatches, lostUntraced hold no new ones);
    // only a finding a loss (or an assumed sharing) made doubtful is an undecided
    // observation the tally never saw. So observations = matched + unknown + untraced +
    // mismatches, always.
    observations: tally.observations + doubtful.count,
    matched: tally.matched,
    unknown: unknownCount,
    untraced: tally.untraced,
    mismatches: tally.mismatches,
    findings: kept,
    unknowns,
    ...(omitted.size > 0 ? { unknownsOmitted: omitted } : {}),
    ...(cut ? { notListed } : {}),
    // the listed findings' lines, and (Ops) those of the Ops their messages name
    findingLines: ctx.findings !== null ? ctx.findings.lines : lines,
    mode: ctx.mode,
    assumptions: ctx.assumptions.list,
    warnings: ctx.warnings,
    evidence: ctx.evidence.list,
    lost: { events: ctx.loss.events, at: ctx.loss.list.map((l) => ({ line: l.line, cpu: l.cpu, events: l.events, how: l.how })) },
    skipped,
  };
}

/** The whole check of one reader stream. */
export async function checkPipeline(items: AsyncIterable<readonly ReadItem[]>, opts: PipelineOptions = {}): Promise<{ outcome: CheckOutcome; issues: readonly ParseIssue[]; model: RefcountModel }> {
  const ctx = new CheckContext();
  ctx.observe = opts.observe ?? null;
  ctx.keepUnknowns = opts.keepUnknowns;
  ctx.maxDetails = opts.maxDetails;
  await compareStage(runStage(liftStage(items, opts), opts, ctx), ctx);
  const outcome = reportOf(ctx, ctx.header, opts);
  return { outcome, issues: ctx.issues, model: ctx.model! };
}
