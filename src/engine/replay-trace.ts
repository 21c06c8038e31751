/**
 * Replaying a recorded page_ref trace (ftrace or trace-cmd text): the file streams
 * through {@link PageRefStream} in large chunks, each page_ref event becomes one
 * input of a Runner (a RefEvent, spec §9.1), and what the recording does not hold is
 * folded explicitly before it (src/trace/page-ref-events.ts): struct pages from the
 * header's ranges and, for a pfn outside them, its section; a resync `set` plus an
 * `untraced-change` finding where the recorded prior count disagrees with the state.
 *
 * Inputs are the page_ref events, numbered from 1 (`--at N` is the state after the
 * N-th page_ref event); checkpoints keep the byte offset and line of the next line,
 * so `stateAtTrace` re-reads only from the nearest one.
 */
import type { PgmapType } from '../events/op.ts';
import type { Finding } from '../state/finding.ts';
import type { SimState } from '../state/sim-state.ts';
import { createState, findRange } from '../state/sim-state.ts';
import { modelFor, ProfileError, type RefcountModel } from '../models/index.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import type { ParseIssue } from '../trace/issues.ts';
import { headerMemmaps, pageRefEvent, priorCount, sectionMemmap, shapeChange, untracedChange, type PageRefRead, type PageTemplate } from '../trace/page-ref-events.ts';
import { PageRefStream } from '../trace/page-ref-stream.ts';
import { feedWithWorker, fileSize, ParseWorker, parseWorkerMode, wantsWorker, type ParseWorkerMode } from '../trace/page-ref-parallel.ts';
import { readChunks } from '../io/read-chunks.ts';
import { lostEventsOf } from '../trace/trace-reader.ts';
import { LossLog, type InputLosses } from './loss.ts';
import { Runner, checkpointFor, checkpointTracker, stateOptionsOf, withStateOf, type RunnerOptions } from './runner.ts';

/** How a trace replay resumes at a checkpoint: the template for pages outside the header's ranges. */
export interface TraceResume {
  readonly template: PageTemplate;
  /** The profile the replay ran under. */
  readonly profile: string;
}

/** A checkpoint of a trace replay. */
export interface TraceCheckpoint {
  readonly inputs: number;
  readonly refEvents: number;
  readonly state: SimState;
  /** Byte offset of the next line. */
  readonly offset: number;
  /** Line number of the next line. */
  readonly line: number;
  /** Findings reported before this point. */
  readonly findings: number;
}

/** Options of a trace replay. */
export interface TraceReplayOptions extends RunnerOptions {
  /** The recording kernel's model; default: the profile that covers the header's kernel. */
  readonly model?: RefcountModel;
  /** kconfig merged over the header's when the model comes from the header. */
  readonly kconfig?: Readonly<Record<string, string>>;
  /** The name issues are reported under (default: the path). */
  readonly file?: string;
  /** Issues kept (the rest are only counted). Default 100. */
  readonly maxIssues?: number;
  /** Read size in bytes. Default 1 MiB. */
  readonly chunkBytes?: number;
  /** Called with every page_ref event before it is folded (replay's model evidence), with its pgmap type when the header gave it. */
  readonly onEvent?: (r: PageRefRead, line: number, type: PgmapType | null) => void;
  /** Stop after this many page_ref events (`replay --at N`): the rest of the file is not read. */
  readonly stopAt?: number;
  /** Whether the file after the header is split and scanned in a worker thread (default: the environment's, else `auto`; page-ref-parallel.ts). */
  readonly parseWorker?: ParseWorkerMode;
}

/** The result of replaying a trace. */
export interface TraceReplayResult {
  readonly file: string;
  readonly header: TraceHeader | undefined;
  readonly model: RefcountModel | undefined;
  readonly state: SimState;
  readonly findings: readonly Finding[];
  readonly checkpoints: readonly TraceCheckpoint[];
  readonly resume: TraceResume | undefined;
  /** page_ref events replayed. */
  readonly inputs: number;
  /** RefEvents folded (inputs plus section inits and resyncs). */
  readonly refEvents: number;
  readonly lines: number;
  /** Parse issues (errors and warnings), at most maxIssues of them. */
  readonly issues: readonly ParseIssue[];
  readonly issueCount: number;
  readonly errorCount: number;
  /** What the replay inferred (the order of a compound folio page_ref shows by its head flag only). */
  readonly assumptions: readonly string[];
  /** Events the trace says it lost (LOST, DROPPED, an overwritten ring buffer), if any. */
  readonly lost: InputLosses | undefined;
}

/** The model a trace replays under: the given one, else the header kernel's profile. */
export function traceModel(header: TraceHeader, opts: Pick<TraceReplayOptions, 'model' | 'kconfig' | 'file'>, file: string): RefcountModel {
  if (opts.model) return opts.model;
  if (header.kernel === null) throw new ProfileError(`${file}: the trace header names no kernel (KTRACE-BEGIN kernel=…): give --model or --kernel`);
  const kconfig: Record<string, string> = {};
  for (const [k, v] of Object.entries(header.kconfig)) kconfig[k] = v;
  return modelFor(undefined, { kernel: header.kernel, kconfig: { ...kconfig, ...(opts.kconfig ?? {}) } });
}

/** Folds page_ref events into a Runner with the additions the file comment lists. */
class TraceFolder {
  readonly runner: Runner;
  private readonly template: PageTemplate;
  private seq: number;
  private readonly stopAt: number;

  /** Inferences the replay rests on (a compound order page_ref does not print). */
  readonly assumptions = new Set<string>();
  private readonly onEvent: ((r: PageRefRead, line: number, type: PgmapType | null) => void) | undefined;

  constructor(runner: Runner, template: PageTemplate, inputs: number, stopAt = Number.POSITIVE_INFINITY, onEvent?: (r: PageRefRead, line: number, type: PgmapType | null) => void) {
    this.runner = runner;
    this.onEvent = onEvent;
    this.template = template;
    this.seq = inputs;
    this.stopAt = stopAt;
  }

  /** The seq the next input gets. */
  get nextSeq(): number {
    return this.seq + 1;
  }

  /** Tells onEvent of an event, with its pgmap type: a header's range is certain; a section the replay gave a struct page is not. */
  private onEventOf(r: PageRefRead, line: number): void {
    const range = findRange(this.runner.draft.ranges, r.pfn);
    this.onEvent!(r, line, range === undefined || range.pgmap.startsWith('section-') ? null : range.pgmapType);
  }

  /** Folds one recorded event as one input; false once the wanted number of inputs is reached. */
  push(r: PageRefRead, line: number, next: number): boolean {
    const runner = this.runner;
    const txn = runner.draft;
    const seq = ++this.seq;
    // Nearly every event: a plain page (Txn.plainRefcount) whose head flag asks for no
    // shape change (shapeChange() is empty for a page that is neither head nor tail
    // unless the event shows PG_head), the recorded prior count as folded, and a fold
    // that reports nothing. Decided before anything is written; else the general path.
    if (r.head !== true) {
      const current = txn.plainRefcount(r.pfn);
      if (current === current) {
        const prior = priorCount(r);
        // NaN: nothing was folded (a count after may be negative: `set` stores what it is given)
        const after = prior === null || prior === current ? runner.foldPlainPageRef(r.pfn, current, r.op, r.val, r.ret, seq) : Number.NaN;
        if (after === after) {
          if (this.onEvent) this.onEventOf(r, line);
          runner.endInput(next);
          return this.seq < this.stopAt;
        }
      }
    }
    // One block lookup gives the count before the event and the page it writes: every
    // page_ref event writes its page, so taking the chunk's copy now changes nothing.
    let page = txn.mut(r.pfn);
    if (page === undefined) {
      runner.foldOnly(sectionMemmap(r.pfn, txn.ranges, this.template, seq));
      page = txn.mut(r.pfn)!;
    }
    const current = page.refcount;
    // the head flag: a compound folio made or split before this event (page_ref prints no order)
    const shape = shapeChange(txn, r, seq);
    if (shape.events.length > 0) for (const e of shape.events) runner.foldOnly(e);
    if (shape.assumption !== null) this.assumptions.add(shape.assumption);
    if (this.onEvent) this.onEventOf(r, line);
    const prior = priorCount(r);
    if (prior !== null && prior !== current) {
      runner.report(untracedChange(r, seq, line, current, prior));
      runner.foldOnly({ seq, type: 'set', pfn: r.pfn, val: prior });
    }
    // The event's own fold from its fields; a RefEvent only where it reports a finding.
    // `page` is still the page's chunk copy: the shape and resync events above wrote it in place.
    if (!runner.foldPageRef(page, r.op, r.val, r.ret, seq)) runner.foldOnly(pageRefEvent(r, seq));
    runner.endInput(next);
    return this.seq < this.stopAt;
  }
}

/** Streams a page_ref trace through a Runner; see the file comment. */
export async function replayTraceFile(path: string, opts: TraceReplayOptions = {}): Promise<TraceReplayResult> {
  const { model: given, kconfig: _kconfig, file = path, maxIssues = 100, chunkBytes, onEvent, stopAt = Number.POSITIVE_INFINITY, parseWorker = parseWorkerMode('auto'), ...runnerOpts } = opts;
  const issues: ParseIssue[] = [];
  let issueCount = 0;
  let errorCount = 0;
  let header: TraceHeader | undefined;
  let model: RefcountModel | undefined = given;
  let folder: TraceFolder | undefined;
  let resume: TraceResume | undefined;
  let line = 1;
  let offset = 0;
  const tracker = checkpointTracker((cp, runner): TraceCheckpoint => {
    const at = cp.inputs === 0 ? { offset: 0, line: 1, findings: 0 } : { offset, line, findings: runner.findings.length };
    return withStateOf(cp, { inputs: cp.inputs, refEvents: cp.refEvents, ...at });
  });
  const checkpoints = tracker.list;
  const annotate = tracker.annotate;
  const keepsCheckpoints = runnerOpts.checkpointEvery !== 0;
  const losses = new LossLog();
  const stream = new PageRefStream(file, {
    header: (h) => {
      header = h;
      model = traceModel(h, opts, file);
      const m = model;
      const idle = (type: PgmapType): number => m.idleRefcount(type);
      const template: PageTemplate = { pgmapType: h.daxDevices.length > 0 && h.pmem.length === 0 ? 'generic' : 'fsdax', refcount: idle(h.daxDevices.length > 0 && h.pmem.length === 0 ? 'generic' : 'fsdax') };
      resume = { template, profile: m.profile.name };
      // the header's ranges are part of the initial state, so the checkpoint at input 0 has them
      const init = new Runner(m, { checkpointEvery: 0 });
      for (const e of headerMemmaps(h, idle)) init.foldOnly(e);
      const initial = init.state();
      folder = new TraceFolder(new Runner(m, runnerOpts, initial), template, 0, stopAt, onEvent);
      for (const f of init.findings) folder.runner.report(f);
      annotate(folder.runner);
      // the ring buffer overwrote the oldest events: every event may follow a lost one
      if (h.entries !== null && h.entries.written > h.entries.inBuffer) losses.note({ line: 0, cpu: null, events: h.entries.written - h.entries.inBuffer, how: 'overwritten' }, 1);
    },
    pageRef: (r, l, next) => {
      if (folder!.runner.count >= stopAt) return false;
      line = l + 1;
      offset = next;
      const ok = folder!.push(r, l, next);
      // with checkpoints off there is nothing to annotate: skip the call on the hot path
      if (keepsCheckpoints) annotate(folder!.runner);
      return ok;
    },
    issue: (i) => {
      const lost = i.code === 'LOST_EVENTS' ? lostEventsOf(i.text) : null;
      if (lost !== null) losses.note({ line: i.line, cpu: lost.cpu, events: lost.events, how: lost.how }, folder?.nextSeq ?? 1);
      if (i.severity === 'error') errorCount++;
      if (issueCount++ < maxIssues) issues.push(i);
    },
  });
  const size = parseWorker === 'never' ? 0 : await fileSize(path);
  // The rest of a large file is split and scanned on the other core. The worker starts
  // now and this thread reads on by itself until the worker is ready (its start then
  // costs no wall time); `always` hands off right after the header and waits for it.
  const worker = wantsWorker(parseWorker, size) ? new ParseWorker(path, file, chunkBytes) : null;
  for await (const _ of feedWithWorker(stream, readChunks(path, chunkBytes === undefined ? {} : { chunkBytes }), worker, parseWorker === 'always')) {
    // each chunk and batch was delivered to the stream's handler before it was yielded
  }
  if (!stream.done) stream.end();
  const runner = folder?.runner;
  const state = runner ? runner.state() : createState(stateOptionsOf(model));
  if (runner) annotate(runner);
  return {
    file, header, model, state, findings: runner?.findings ?? [], checkpoints, resume,
    inputs: runner?.count ?? 0, refEvents: runner?.refEvents ?? 0, lines: stream.lines, issues, issueCount, errorCount,
    assumptions: [...(folder?.assumptions ?? [])], lost: losses.result(),
  };
}

/** The state after the first `n` page_ref events of a trace, and the findings after its checkpoint. */
export interface TraceStateAt {
  readonly state: SimState;
  readonly inputs: number;
  readonly checkpoint: TraceCheckpoint;
  readonly findings: readonly Finding[];
}

/**
 * The state after `n` page_ref events, re-read from the nearest checkpoint at or
 * before `n` of a {@link replayTraceFile} of the same file (its header is read again
 * first, for the reader's context). Throws a RangeError when the trace has fewer events.
 */
export async function stateAtTrace(path: string, n: number, replayed: Pick<TraceReplayResult, 'checkpoints' | 'resume'>, opts: Pick<TraceReplayOptions, 'file' | 'chunkBytes'> = {}): Promise<TraceStateAt> {
  const file = opts.file ?? path;
  const cp = checkpointFor(replayed.checkpoints, n);
  if (!cp) throw new RangeError(`no checkpoint at or before input ${n}`);
  if (cp.inputs === n) return { state: cp.state, inputs: n, checkpoint: cp, findings: [] };
  const { resume } = replayed;
  if (!resume) throw new RangeError(`${file}: no page_ref events were replayed`);
  let start = {};
  if (cp.inputs > 0) {
    // the header first: the full reader needs its context for any line the fast path declines
    const head = new PageRefStream(file, { header: () => undefined, pageRef: () => false, issue: () => undefined });
    for await (const chunk of readChunks(path, { chunkBytes: 1 << 16 })) if (!head.push(chunk) || head.reader.header !== null) break;
    start = { offset: cp.offset, line: cp.line, reader: head.reader };
  }
  // the checkpoint's state already holds the header's ranges (and the tail encoding)
  const runner = new Runner(undefined, { checkpointEvery: 0 }, cp.state);
  const folder = new TraceFolder(runner, resume.template, cp.inputs, n);
  const stream = new PageRefStream(file, { header: () => undefined, pageRef: (r, l, next) => folder.push(r, l, next), issue: () => undefined }, start);
  for await (const chunk of readChunks(path, { start: cp.offset, ...(opts.chunkBytes === undefined ? {} : { chunkBytes: opts.chunkBytes }) })) if (!stream.push(chunk)) break;
  if (!stream.done) stream.end();
  if (runner.count < n - cp.inputs) throw new RangeError(`${file} has ${cp.inputs + runner.count} page_ref events, fewer than ${n}`);
  return { state: runner.state(), inputs: n, checkpoint: cp, findings: runner.findings };
}
