/**
 * Replaying JSONL files: lines are read, decoded and folded one at a time, so a
 * file of any size replays in memory bounded by the state (plus its checkpoints).
 * Every checkpoint records the byte offset and line number of the next line, the
 * last seq and the findings count, so `stateAt` can restart from it mid-file.
 */
import { filter, first, lastValueFrom, map, take, type Observable } from 'rxjs';
import { maxLineBytes, readLines$, type LineRecord } from '../io/read-lines.ts';
import { JsonlDecoder, type DecodedLine } from '../events/jsonl-decoder.ts';
import type { JsonlHeader, JsonlKind } from '../events/jsonl.ts';
import type { JsonlIssue } from '../events/issues.ts';
import type { Finding } from '../state/finding.ts';
import type { SimState } from '../state/sim-state.ts';
import type { RefcountModel } from '../models/model.ts';
import { checkpointFor, checkpointTracker, stateOptionsOf, withStateOf, type RunnerOptions } from './runner.ts';
import { createState } from '../state/sim-state.ts';
import { replayWith, type ReplayItem } from './replay-with.ts';
import { readHead } from '../io/read-chunks.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import type { ParseIssue } from '../trace/issues.ts';
import { replayTraceFile, stateAtTrace, type TraceResume } from './replay-trace.ts';
import { LossLog, type InputLosses } from './loss.ts';
import type { PageRefRead } from '../trace/page-ref-events.ts';
import type { PgmapType } from '../events/op.ts';
import { OpBoundError } from './op-bounds.ts';
import { issueAt } from '../events/decode.ts';
import { formatJsonlIssue } from '../events/issues.ts';

/** A checkpoint of a file replay: the state after `inputs` inputs and where to resume reading. */
export interface FileCheckpoint {
  readonly inputs: number;
  readonly refEvents: number;
  readonly state: SimState;
  /** Byte offset of the next line. */
  readonly offset: number;
  /** Line number of the next line. */
  readonly line: number;
  /** seq of the last input (for the increasing-seq check on resume). */
  readonly prevSeq: number;
  /** Findings reported before this point. */
  readonly findings: number;
  /** The file's tier, once known. */
  readonly kind: JsonlKind | undefined;
  readonly header: JsonlHeader | undefined;
  /** Set for a page_ref trace: how its replay resumes (stateAt re-reads the trace's header first). */
  readonly trace?: TraceResume;
}

/** Options of replayFile and stateAt. */
export interface ReplayFileOptions extends RunnerOptions {
  /** Expands Op files (required for them); fixes the state's tail encoding. */
  readonly model?: RefcountModel;
  /** The name issues are reported under (default: the path). */
  readonly file?: string;
  /** Issues kept in the result (the rest are only counted). Default 100. */
  readonly maxIssues?: number;
  /** For a trace without --model: kconfig merged over its header's. */
  readonly kconfig?: Readonly<Record<string, string>>;
  /** For a trace: called with every page_ref event (and its pgmap type when the header gave it) before it is folded. */
  readonly onEvent?: (r: PageRefRead, line: number, type: PgmapType | null) => void;
  /** Stop after this many inputs (`replay --at N`): the rest of the file is not read. */
  readonly stopAt?: number;
}

/** What a file holds, told by its content (never by its name). */
export type FileFormat = 'jsonl' | 'trace';

/** The result of replaying a file. */
export interface ReplayFileResult {
  readonly file: string;
  readonly kind: JsonlKind | undefined;
  readonly header: JsonlHeader | undefined;
  readonly state: SimState;
  readonly findings: readonly Finding[];
  readonly checkpoints: readonly FileCheckpoint[];
  /** Input events replayed (header and blank lines are not inputs). */
  readonly inputs: number;
  readonly refEvents: number;
  /** Lines read. */
  readonly lines: number;
  /** Bad lines (skipped), at most maxIssues of them. */
  readonly issues: readonly JsonlIssue[];
  readonly issueCount: number;
  readonly format: FileFormat;
  /** The model the file replayed under (a trace's: the given one or its header kernel's). */
  readonly model: RefcountModel | undefined;
  /** Events the input says it lost (a trace's LOST/DROPPED markers or overwritten buffer, a JSONL seq gap), if any. */
  readonly lost?: InputLosses;
  /** A trace's header, parse issues (errors and warnings, at most maxIssues) and error count. */
  readonly trace?: {
    readonly header: TraceHeader | undefined;
    readonly issues: readonly ParseIssue[];
    readonly issueCount: number;
    /** What the replay inferred (a compound folio's order). */
    readonly assumptions: readonly string[];
    readonly errorCount: number;
  };
}

/**
 * A JSONL event file or a trace text? The first non-blank line decides: JSONL lines
 * are JSON objects (`{`); anything else (KTRACE-BEGIN, `# tracer:`, an event line,
 * trace-cmd's `cpus=`) is read as a trace.
 */
export async function sniffFormat(path: string, file = path): Promise<FileFormat> {
  const head = await readHead(path).catch(notFound(file));
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const first = /\S/.exec(text);
  return first === null || first[0] === '{' ? 'jsonl' : 'trace';
}

/** A file that does not exist (or cannot be opened as one). */
export class FileNotFoundError extends Error {
  override readonly name = 'FileNotFoundError';
}

function notFound(file: string): (e: unknown) => never {
  return (e) => {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw new FileNotFoundError(`${file}: not found`);
    throw e;
  };
}

/**
 * Finds the line of the Op an OpBoundError names (read again: the error path only) and
 * sets its `file:line:column` form, pointing at the offending field's value.
 */
export async function locateOpBound(path: string, file: string, e: OpBoundError): Promise<void> {
  const decoder = new JsonlDecoder(file);
  const found = await lastValueFrom(
    readLines$(path).pipe(
      map((rec) => ({ rec, d: decoder.decode(rec.text, rec.line, rec.terminated, rec.tooLong && maxLineBytes()) })),
      first(({ d }) => d.kind === 'op' && d.event.seq === e.seq, undefined),
    ),
  );
  if (!found) return;
  const ctx = { file, line: found.rec.line, text: found.rec.text };
  e.located = formatJsonlIssue(issueAt(ctx, 'BAD_FIELD', e.field, 'value', e.message, 'a count within the kernel\'s bound'));
}

/** Turns a decoded line into a replay item (null for header, blank or bad lines). */
function toItem(d: DecodedLine, rec: LineRecord, model: RefcountModel | undefined, file: string): ReplayItem | null {
  if (d.kind === 'ref') return { kind: 'ref', event: d.event, position: rec.next };
  if (d.kind !== 'op') return null;
  if (!model) throw new Error(`${file} holds Ops: replaying it needs a model`);
  return { kind: 'op', event: d.event, position: rec.next };
}

/**
 * Streams `path` through replayWith and collects findings, checkpoints and issues.
 * A page_ref trace (told by content, {@link sniffFormat}) replays its page_ref events
 * as RefEvents (src/engine/replay-trace.ts).
 */
export async function replayFile(path: string, opts: ReplayFileOptions = {}): Promise<ReplayFileResult> {
  if ((await sniffFormat(path, opts.file ?? path)) === 'trace') return replayTrace(path, opts);
  const { model, file = path, maxIssues = 100, kconfig: _kconfig, stopAt, ...runnerOpts } = opts;
  const decoder = new JsonlDecoder(file);
  const issues: JsonlIssue[] = [];
  let issueCount = 0;
  let lines = 0;
  let current: LineRecord | undefined;
  // the Runner adds at most one checkpoint per input (plus the one at input 0), and may thin them
  const tracker = checkpointTracker((cp, runner): FileCheckpoint => {
    const at = cp.inputs === 0 || !current ? { offset: 0, line: 1, prevSeq: 0, findings: 0 } : { offset: current.next, line: current.line + 1, prevSeq: decoder.prevSeq, findings: runner.findings.length };
    // the checkpoint at input 0 resumes at line 1, which re-reads the header itself
    const fresh = cp.inputs === 0;
    return withStateOf(cp, { inputs: cp.inputs, refEvents: cp.refEvents, ...at, kind: fresh ? undefined : decoder.kind, header: fresh ? undefined : decoder.header });
  });
  const checkpoints = tracker.list;
  const annotate = tracker.annotate;
  const losses = new LossLog();
  const items$ = readLines$(path).pipe(
    map((rec) => {
      current = rec;
      lines++;
      const prevSeq = decoder.prevSeq;
      const d = decoder.decode(rec.text, rec.line, rec.terminated, rec.tooLong && maxLineBytes());
      if (d.kind === 'issue' && issueCount++ < maxIssues) issues.push(d.issue);
      // a seq gap between two events: the writer (or --lenient) left events out
      if ((d.kind === 'op' || d.kind === 'ref') && prevSeq > 0 && d.event.seq > prevSeq + 1) {
        losses.note({ line: rec.line, cpu: null, events: d.event.seq - prevSeq - 1, how: 'seq gap' }, d.event.seq);
      }
      return toItem(d, rec, model, file);
    }),
    filter((item): item is ReplayItem => item !== null),
    take(stopAt ?? Number.POSITIVE_INFINITY),
  );
  const runner = await lastValueFrom(items$.pipe(replayWith(model, runnerOpts, undefined, runnerOpts.checkpointEvery === 0 ? undefined : annotate)))
    .catch(async (e: unknown) => {
      if (e instanceof OpBoundError) await locateOpBound(path, file, e);
      throw e;
    })
    .catch(notFound(file));
  const state = runner.state();
  annotate(runner);
  if (checkpoints.length === 0) {
    // checkpoints disabled: stateAt can still start from the beginning (the Runner's initial state)
    const initial = createState(runnerOpts.state ?? stateOptionsOf(model));
    checkpoints.push({ inputs: 0, refEvents: 0, state: initial, offset: 0, line: 1, prevSeq: 0, findings: 0, kind: undefined, header: undefined });
  }
  return {
    file, kind: decoder.kind, header: decoder.header, state, findings: runner.findings, checkpoints,
    inputs: runner.count, refEvents: runner.refEvents, lines, issues, issueCount, format: 'jsonl', model,
    ...(lostOf(losses) ?? {}),
  };
}

function lostOf(log: LossLog): { lost: InputLosses } | undefined {
  const lost = log.result();
  return lost ? { lost } : undefined;
}

/** replayFile of a trace: its result in the file-replay shape. */
async function replayTrace(path: string, opts: ReplayFileOptions): Promise<ReplayFileResult> {
  const { model, file = path, ...rest } = opts;
  const r = await replayTraceFile(path, { ...rest, file, ...(model ? { model } : {}) }).catch(notFound(file));
  const trace = r.resume;
  const checkpoints: FileCheckpoint[] = r.checkpoints.map((c) => withStateOf(c, {
    inputs: c.inputs, refEvents: c.refEvents, offset: c.offset, line: c.line, prevSeq: c.inputs, findings: c.findings,
    kind: 'refevents' as const, header: undefined, ...(trace ? { trace } : {}),
  }));
  if (checkpoints.length === 0) checkpoints.push({ inputs: 0, refEvents: 0, state: r.state, offset: 0, line: 1, prevSeq: 0, findings: 0, kind: 'refevents', header: undefined });
  return {
    file, kind: 'refevents', header: undefined, state: r.state, findings: r.findings, checkpoints,
    inputs: r.inputs, refEvents: r.refEvents, lines: r.lines, issues: [], issueCount: 0, format: 'trace', model: r.model,
    ...(r.lost ? { lost: r.lost } : {}),
    trace: { header: r.header, issues: r.issues, issueCount: r.issueCount, errorCount: r.errorCount, assumptions: r.assumptions },
  };
}

/** The state after input `n`, its checkpoint, and the findings of the inputs after the checkpoint. */
export interface StateAtResult {
  readonly state: SimState;
  readonly inputs: number;
  readonly checkpoint: FileCheckpoint;
  /** Findings of inputs checkpoint.inputs+1 … n. */
  readonly findings: readonly Finding[];
}

/**
 * The state after the first `n` inputs of `path`, re-read from the nearest
 * checkpoint at or before `n` (from a replayFile of the same file). Throws a
 * RangeError when the file has fewer than `n` inputs.
 */
export async function stateAt(path: string, n: number, checkpoints: readonly FileCheckpoint[], opts: ReplayFileOptions = {}): Promise<StateAtResult> {
  const { model, file = path, kconfig: _kconfig, ...runnerOpts } = opts;
  const cp = checkpointFor(checkpoints, n);
  if (!cp) throw new RangeError(`no checkpoint at or before input ${n}`);
  if (cp.inputs === n) return { state: cp.state, inputs: n, checkpoint: cp, findings: [] };
  const resume = checkpoints.find((c) => c.trace)?.trace;
  if (resume) {
    const at = await stateAtTrace(path, n, { checkpoints, resume }, { file }).catch(notFound(file));
    return { state: at.state, inputs: at.inputs, checkpoint: cp, findings: at.findings };
  }
  const decoder = new JsonlDecoder(file, { prevSeq: cp.prevSeq, ...(cp.kind ? { kind: cp.kind } : {}), ...(cp.header ? { header: cp.header } : {}) });
  const items$: Observable<ReplayItem> = readLines$(path, { start: cp.offset, firstLine: cp.line }).pipe(
    map((rec) => {
      const d = decoder.decode(rec.text, rec.line, rec.terminated, rec.tooLong && maxLineBytes());
      // a bad line: the full replay before this one reported it (or --lenient skipped it)
      return toItem(d, rec, model, file);
    }),
    filter((item): item is ReplayItem => item !== null),
    take(n - cp.inputs),
  );
  const runner = await lastValueFrom(items$.pipe(replayWith(model, { ...runnerOpts, checkpointEvery: 0 }, cp.state))).catch(notFound(file));
  const inputs = cp.inputs + runner.count;
  if (inputs < n) throw new RangeError(`${file} has ${inputs} inputs, fewer than ${n}`);
  return { state: runner.state(), inputs, checkpoint: cp, findings: runner.findings };
}

/** The findings of the first `at.inputs` inputs, given the full replay's findings. */
export function findingsAt(full: readonly Finding[], at: StateAtResult): Finding[] {
  return [...full.slice(0, at.checkpoint.findings), ...at.findings];
}

/** What the first non-blank line of a file says about it. */
export interface Sniffed {
  readonly kind: JsonlKind | undefined;
  readonly header: JsonlHeader | undefined;
  /** The first line's issue, if it is bad. */
  readonly issue?: JsonlIssue;
}

/** Reads only as far as the first non-blank line, to learn the file's tier and header. */
export async function sniffJsonl(path: string, file = path): Promise<Sniffed> {
  const decoder = new JsonlDecoder(file);
  const d = await lastValueFrom(
    readLines$(path).pipe(
      map((rec) => decoder.decode(rec.text, rec.line, rec.terminated, rec.tooLong && maxLineBytes())),
      first((x) => x.kind !== 'blank', null),
    ),
  ).catch(notFound(file));
  if (d?.kind === 'issue') return { kind: undefined, header: undefined, issue: d.issue };
  return { kind: decoder.kind, header: decoder.header };
}
