/**
 * `check` on trace files (node only): streams the file through the reader and the
 * lifter into the checker, in constant memory apart from open Ops.
 */
import { liftItems } from '../lift/lift-trace.ts';
import type { Observability } from '../lift/types.ts';
import type { ParseIssue } from '../trace/issues.ts';
import type { TraceRecord } from '../trace/record-types.ts';
import type { TraceItem } from '../trace/trace-reader.ts';
import { streamTraceFile } from '../trace/read-file.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import { checkAgainst } from './against.ts';
import { type CheckOptions, type CheckRun } from './run-check.ts';
import { checkPipeline, liftModeOf, type PipelineOptions, type ReadItem } from './pipeline.ts';
import { inputChunks, inputName, isPlainTextFile, isStdin } from '../io/open-input.ts';
import { feedWithWorker, fileSize, ParseWorker, parseWorkerMode, wantsWorker } from '../trace/page-ref-parallel.ts';
import { InputTail } from '../io/input-tail.ts';
import { OpBoundError } from '../engine/op-bounds.ts';
import { locateResyncBoundAt, locateTraceOpBoundAt } from '../engine/locate-trace-op.ts';
import { ResyncBoundError } from './resync.ts';
import { PageRefStream } from '../trace/page-ref-stream.ts';

/**
 * Checks one trace (a path, or `-` for stdin; text, gzip, zstd or a trace.dat) under
 * the profile its header names, through the one-way pipeline (pipeline.ts).
 */
export async function checkTraceFile(path: string, opts: PipelineOptions = {}): Promise<CheckRun> {
  if (!isStdin(path)) return checkPipeline(readStage(path, opts), opts);
  // stdin cannot be read again to place an error raised after its line was read: keep its tail
  const tail = new InputTail();
  return checkPipeline(readStage(path, opts, tail), opts).catch((e: unknown) => {
    if (e instanceof OpBoundError && e.located === undefined && e.line !== undefined) locateTraceOpBoundAt(tail.lineText(e.line), inputName(path), e);
    if (e instanceof ResyncBoundError && e.located === undefined && e.line !== undefined) locateResyncBoundAt(tail.lineText(e.line), inputName(path), e);
    throw e;
  });
}

/**
 * The reader stage: the input's bytes (inputBytes: stdin, gzip, zstd, trace.dat) through
 * PageRefStream, and to `tail` when given (stdin: what an error raised later quotes). A trace lifted to Ops (liftModeOf) is read line by line in full; a
 * page_ref-only one takes the byte scanner for its page_ref lines and leaves the rest
 * unread (counted), as replay does, so checking it costs about what replaying it does.
 */
export async function* readStage(path: string, opts: PipelineOptions = {}, tail?: InputTail): AsyncGenerator<readonly ReadItem[]> {
  // one batch per chunk read (pipeline.ts: a page_ref event costs no async step of its own)
  let out: ReadItem[] = [];
  const stream = new PageRefStream(
    inputName(path),
    {
      header: (header) => void out.push({ type: 'header', header }),
      readsAll: (header) => liftModeOf(header, opts) === 'ops',
      record: (record) => void out.push({ type: 'record', record }),
      pageRef: (r, line) => {
        out.push({ type: 'ref', line, op: r.op, pfn: r.pfn, count: r.count, val: r.val, ret: r.ret, mapcount: r.mapcount ?? null, head: r.head ?? null });
        return true;
      },
      issue: (issue) => void out.push({ type: 'issue', issue }),
    },
    {},
    opts.probes !== undefined ? { probes: opts.probes } : {},
  );
  const take = (): ReadItem[] => {
    const batch = out;
    out = [];
    return batch;
  };
  // The rest of a large plain file may be split and scanned on the other core
  // (page-ref-parallel.ts), as replay does: the worker starts now, this thread reads the
  // header and goes on by itself until the worker is ready, and hands off at the next
  // chunk boundary (`always`: at the first). Only a page_ref-only trace, whose lines the
  // stream does not all read in full, is handed off (handOff() declines otherwise).
  const mode = opts.parseWorker ?? parseWorkerMode('auto');
  const size = mode !== 'never' && (await isPlainTextFile(path)) ? await fileSize(path) : 0;
  const worker = size > 0 && wantsWorker(mode, size) ? new ParseWorker(path, inputName(path), opts.chunkBytes) : null;
  // a chunk is valid until the next is asked for: PageRefStream copies the partial line it keeps
  const keepTail = tail === undefined ? undefined : (chunk: Buffer): void => tail.push(chunk);
  for await (const _ of feedWithWorker(stream, inputChunks(path, opts.chunkBytes), worker, mode === 'always', keepTail)) if (out.length > 0) yield take();
  if (!stream.done) stream.end();
  out.push({ type: 'unread', lines: stream.unreadLines }, { type: 'end', summary: stream.reader.summary() });
  yield take();
}

/**
 * `check A --against B`: A's Ops replayed under B's profile, compared with B's snaps.
 * A is read twice (first for what its probe set can observe, final only at its end),
 * B once; `--kernel`/`--kconfig`/`--model` apply to B's profile, not to A's lifting.
 */
export async function checkTraceAgainst(a: string, b: string, opts: CheckOptions = {}): Promise<CheckRun> {
  let seen: Observability | null = null;
  const lift = { ...(opts.vmemmapBase !== undefined ? { vmemmapBase: opts.vmemmapBase } : {}) };
  for await (const s of liftItems(streamTraceFile(a), lift)) if (s.type === 'end') seen = s.observability;
  if (seen === null) throw new Error(`${a}: trace stream without an end`);
  const header = await headerOf(b);
  const bIssues: ParseIssue[] = [];
  const run = await checkAgainst(liftItems(streamTraceFile(a), lift), a, seen, { header, records: recordsCollecting(streamTraceFile(b), bIssues) }, opts);
  return { ...run, issues: [...run.issues, ...bIssues] };
}

/** The records of a reader stream, its issues pushed to `issues`. */
async function* recordsCollecting(items: AsyncIterable<TraceItem>, issues: ParseIssue[]): AsyncGenerator<TraceRecord> {
  for await (const it of items) {
    if (it.type === 'record') yield it.record;
    else if (it.type === 'issue') issues.push(it.issue);
  }
}

/** The header of a trace file (read up to its first event). */
async function headerOf(path: string): Promise<TraceHeader> {
  for await (const it of streamTraceFile(path)) if (it.type === 'header') return it.header;
  throw new Error(`${path}: no header`);
}

/** The lifter's options from a check's. */
export function liftOptions(opts: CheckOptions): { vmemmapBase?: bigint; kernel?: string } {
  return { ...(opts.vmemmapBase !== undefined ? { vmemmapBase: opts.vmemmapBase } : {}), ...(opts.kernel !== undefined ? { kernel: opts.kernel } : {}) };
}
