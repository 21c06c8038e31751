/**
 * Lifting a trace file from disk (node only): the file is streamed through the trace
 * reader and the lifter. `liftForDiff` is what `dax-refsim diff` calls when its input is
 * a recorded trace rather than JSONL.
 */
import { streamTraceFile } from '../trace/read-file.ts';
import { collectLifted, liftItems, type LiftedTrace } from './lift-trace.ts';
import type { LiftOptions } from './types.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import { hasProbeDefinitions } from './observability.ts';

/** Lifts a trace file (ftrace text or `trace-cmd report` output) whole. */
export async function liftTraceFile(path: string, opts: LiftOptions = {}): Promise<LiftedTrace> {
  return collectLifted(liftItems(streamTraceFile(path), opts));
}

/**
 * The Op stream of a trace for `diff`, with the header (to name the recording kernel)
 * and the line → phase map, so divergences point at trace lines (Op.line) and phases.
 */
export async function liftForDiff(path: string, opts: LiftOptions = {}): Promise<Pick<LiftedTrace, 'header' | 'ops' | 'phases' | 'issues' | 'opLines'>> {
  const t = await liftTraceFile(path, opts);
  return { header: t.header, ops: t.ops, phases: t.phases, issues: t.issues, opLines: t.opLines };
}

/**
 * A trace that cannot give Ops: its header defines no kprobes, so only tracepoints
 * remain (a `trace-cmd record -e page_ref` recording, or one without the kit's header).
 * Exit 2: the command that needs Ops refuses rather than guess them.
 */
export class NoOpsError extends Error {
  override readonly name = 'NoOpsError';
}

/**
 * Refuses (NoOpsError) a trace whose header defines no kprobes, reading only up to
 * its first event. Its page_ref events are one kernel's refcount changes, not the
 * operations that made them: a +1 is a fault's mapping reference (unified
 * folio_add_file_rmap + folio_get) as well as a GUP get (try_grab_folio(FOLL_GET)),
 * a -1024 on an order-0 page one unpin_user_page() of GUP_PIN_COUNTING_BIAS, and
 * no page_ref event tells which. Lifting them would re-expand guesses under the
 * other model (before this check, only the puts were lifted, and a -1024 became a
 * 1024-page put), so diff, ops, holders, export refuse; check and replay take the
 * page_ref events as RefEvents as they are.
 */
export async function requireOps(path: string, command: string): Promise<TraceHeader> {
  let header: TraceHeader | null = null;
  for await (const it of streamTraceFile(path)) {
    if (it.type === 'header') {
      header = it.header;
      break;
    }
  }
  if (header === null || hasProbeDefinitions(header)) return header as TraceHeader;
  throw new NoOpsError(
    `${path}: NO_OPS the trace defines no kprobes (no "# kprobe_events:" block): its page_ref events are the ` +
      `recording kernel's refcount changes, not the operations that made them (a +1 is a fault's mapping ` +
      `reference as well as a GUP get, a -1024 one unpin of a pinned page), so there are no Ops for ${command} ` +
      `to run under a model. \`dax-refsim check\` and \`dax-refsim replay\` take it as it is; for ${command}, ` +
      `record with the recorder's kprobes (dax-refsim record, src/record/dax-refsim-record.sh).`,
  );
}
