/**
 * Lifting a trace file from disk (node only): the file is streamed through the trace
 * reader and the lifter. `liftForDiff` is what `dax-refsim diff` calls when its input is
 * a recorded trace rather than JSONL.
 */
import { streamTraceFile } from '../trace/read-file.ts';
import { collectLifted, liftItems, type LiftedTrace } from './lift-trace.ts';
import type { LiftOptions } from './types.ts';

/** Lifts a trace file (ftrace text or `trace-cmd report` output) whole. */
export async function liftTraceFile(path: string, opts: LiftOptions = {}): Promise<LiftedTrace> {
  return collectLifted(liftItems(streamTraceFile(path), opts));
}

/**
 * The Op stream of a trace for `diff`, with the header (to name the recording kernel)
 * and the line → phase map, so divergences point at trace lines (Op.line) and phases.
 */
export async function liftForDiff(path: string, opts: LiftOptions = {}): Promise<Pick<LiftedTrace, 'header' | 'ops' | 'phases' | 'issues'>> {
  const t = await liftTraceFile(path, opts);
  return { header: t.header, ops: t.ops, phases: t.phases, issues: t.issues };
}
