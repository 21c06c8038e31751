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
import { checkPipeline, type PipelineOptions } from './pipeline.ts';
import { inputLines, inputName } from '../io/open-input.ts';
import { parseTraceLines } from '../trace/read-trace.ts';

/**
 * Checks one trace (a path, or `-` for stdin; text, gzip, zstd or a trace.dat) under
 * the profile its header names, through the one-way pipeline (pipeline.ts).
 */
export async function checkTraceFile(path: string, opts: PipelineOptions = {}): Promise<CheckRun> {
  const name = inputName(path);
  const items = parseTraceLines(inputLines(path), name, opts.probes !== undefined ? { probes: opts.probes } : {});
  return checkPipeline(items, opts);
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
