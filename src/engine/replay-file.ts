/**
 * Replaying JSONL files: lines are read, decoded and folded one at a time, so a
 * file of any size replays in memory bounded by the state (plus its checkpoints).
 * Every checkpoint records the byte offset and line number of the next line, the
 * last seq and the findings count, so `stateAt` can restart from it mid-file.
 */
import { filter, first, lastValueFrom, map, take, type Observable } from 'rxjs';
import { readLines$, type LineRecord } from '../io/read-lines.ts';
import { JsonlDecoder, type DecodedLine } from '../events/jsonl-decoder.ts';
import type { JsonlHeader, JsonlKind } from '../events/jsonl.ts';
import type { JsonlIssue } from '../events/issues.ts';
import type { Finding } from '../state/finding.ts';
import type { SimState } from '../state/sim-state.ts';
import type { RefcountModel } from '../models/model.ts';
import { stateOptionsOf, type Runner, type RunnerOptions } from './runner.ts';
import { createState } from '../state/sim-state.ts';
import { replayWith, type ReplayItem } from './replay-with.ts';

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
}

/** Options of replayFile and stateAt. */
export interface ReplayFileOptions extends RunnerOptions {
  /** Expands Op files (required for them); fixes the state's tail encoding. */
  readonly model?: RefcountModel;
  /** The name issues are reported under (default: the path). */
  readonly file?: string;
  /** Issues kept in the result (the rest are only counted). Default 100. */
  readonly maxIssues?: number;
}

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

/** Turns a decoded line into a replay item (null for header, blank or bad lines). */
function toItem(d: DecodedLine, rec: LineRecord, model: RefcountModel | undefined, file: string): ReplayItem | null {
  if (d.kind === 'ref') return { kind: 'ref', event: d.event, position: rec.next };
  if (d.kind !== 'op') return null;
  if (!model) throw new Error(`${file} holds Ops: replaying it needs a model`);
  return { kind: 'op', event: d.event, position: rec.next };
}

/** Streams `path` through replayWith and collects findings, checkpoints and issues. */
export async function replayFile(path: string, opts: ReplayFileOptions = {}): Promise<ReplayFileResult> {
  const { model, file = path, maxIssues = 100, ...runnerOpts } = opts;
  const decoder = new JsonlDecoder(file);
  const issues: JsonlIssue[] = [];
  const checkpoints: FileCheckpoint[] = [];
  let issueCount = 0;
  let lines = 0;
  let current: LineRecord | undefined;
  const annotate = (runner: Runner): void => {
    // Runner adds at most one checkpoint per input (plus the one at input 0)
    while (checkpoints.length < runner.checkpoints.length) {
      const cp = runner.checkpoints[checkpoints.length]!;
      const at = cp.inputs === 0 || !current ? { offset: 0, line: 1, prevSeq: 0, findings: 0 } : { offset: current.next, line: current.line + 1, prevSeq: decoder.prevSeq, findings: runner.findings.length };
      // the checkpoint at input 0 resumes at line 1, which re-reads the header itself
      const fresh = cp.inputs === 0;
      checkpoints.push({ inputs: cp.inputs, refEvents: cp.refEvents, state: cp.state, ...at, kind: fresh ? undefined : decoder.kind, header: fresh ? undefined : decoder.header });
    }
  };
  const items$ = readLines$(path).pipe(
    map((rec) => {
      current = rec;
      lines++;
      const d = decoder.decode(rec.text, rec.line, rec.terminated);
      if (d.kind === 'issue' && issueCount++ < maxIssues) issues.push(d.issue);
      return toItem(d, rec, model, file);
    }),
    filter((item): item is ReplayItem => item !== null),
  );
  const runner = await lastValueFrom(items$.pipe(replayWith(model, runnerOpts, undefined, annotate))).catch(notFound(file));
  const state = runner.state();
  annotate(runner);
  if (checkpoints.length === 0) {
    // checkpoints disabled: stateAt can still start from the beginning (the Runner's initial state)
    const initial = createState(runnerOpts.state ?? stateOptionsOf(model));
    checkpoints.push({ inputs: 0, refEvents: 0, state: initial, offset: 0, line: 1, prevSeq: 0, findings: 0, kind: undefined, header: undefined });
  }
  return {
    file, kind: decoder.kind, header: decoder.header, state, findings: runner.findings, checkpoints,
    inputs: runner.count, refEvents: runner.refEvents, lines, issues, issueCount,
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
  const { model, file = path, ...runnerOpts } = opts;
  let cp: FileCheckpoint | undefined;
  for (const c of checkpoints) if (c.inputs <= n && (!cp || c.inputs > cp.inputs)) cp = c;
  if (!cp) throw new RangeError(`no checkpoint at or before input ${n}`);
  if (cp.inputs === n) return { state: cp.state, inputs: n, checkpoint: cp, findings: [] };
  const decoder = new JsonlDecoder(file, { prevSeq: cp.prevSeq, ...(cp.kind ? { kind: cp.kind } : {}), ...(cp.header ? { header: cp.header } : {}) });
  const items$: Observable<ReplayItem> = readLines$(path, { start: cp.offset, firstLine: cp.line }).pipe(
    map((rec) => {
      const d = decoder.decode(rec.text, rec.line, rec.terminated);
      if (d.kind === 'issue') throw new Error(`${d.issue.file}:${d.issue.line}:${d.issue.column} ${d.issue.code} ${d.issue.message}`);
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
      map((rec) => decoder.decode(rec.text, rec.line, rec.terminated)),
      first((x) => x.kind !== 'blank', null),
    ),
  ).catch(notFound(file));
  if (d?.kind === 'issue') return { kind: undefined, header: undefined, issue: d.issue };
  return { kind: decoder.kind, header: decoder.header };
}
