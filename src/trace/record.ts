/**
 * One event line → one typed {@link TraceRecord}: picks the body parser by event name
 * and body shape.
 *
 * Order: trace_marker writes; probes defined in the header (their body starts with
 * the `(location)`); the page_ref tracepoints; fs_dax tracepoints; kprobe-shaped
 * bodies without a definition (inferred, UNKNOWN_EVENT); anything else generic
 * (UNKNOWN_EVENT). A known event whose required fields are unreadable falls back to a
 * generic record, its BAD_FIELD error already reported.
 */
import { reportUnknownEvent, type BodyInput, type TraceContext } from './body-context.ts';
import { isFsDaxEvent, parseFsDaxBody } from './fs-dax-body.ts';
import { keyValueRecord } from './key-values.ts';
import { looksLikeKprobe, parseKprobeBody } from './kprobe-body.ts';
import type { EventLine } from './line.ts';
import { isMarkerEvent, parseMarkerBody } from './marker-body.ts';
import { PAGE_REF_OPS, parsePageRefBody } from './page-ref-body.ts';
import { genericRecord as buildGeneric } from './record-build.ts';
import type { GenericRecord, RecordBase, TraceRecord } from './record-types.ts';

/**
 * Builds the record for a parsed event line. `lineNo` is 1-based, `text` the full
 * line (for positioned issues).
 */
export function parseRecord(ev: EventLine, lineNo: number, text: string, ctx: TraceContext): TraceRecord {
  // A marker's text is kept verbatim; other bodies lose trace-cmd's column padding.
  const body = ev.event === 'tracing_mark_write' ? ev.body : ev.body.trimStart();
  const base: RecordBase = {
    line: lineNo,
    task: ev.task,
    pid: ev.pid,
    tgid: ev.tgid,
    cpu: ev.cpu,
    irqFlags: ev.irqFlags,
    ts: ev.ts,
    tsText: ev.tsText,
    event: ev.event,
    system: null,
    type: ev.event,
    body,
  };
  const input: BodyInput = {
    base,
    site: { file: ctx.file, line: lineNo, text },
    bodyOffset: ev.bodyOffset + (ev.body.length - body.length),
    ctx,
  };
  return typedRecord(input) ?? genericRecord(input, false);
}

/** The typed record for a known event, `null` when none applies or it is unreadable. */
function typedRecord(input: BodyInput): TraceRecord | null {
  const { event, body } = input.base;
  if (isMarkerEvent(event, body)) return parseMarkerBody(input);
  const probe = input.ctx.probes.get(event);
  if (probe !== undefined && body.startsWith('(')) return parseKprobeBody(input, probe) ?? genericRecord(input, true);
  const op = PAGE_REF_OPS[event];
  if (op !== undefined) return parsePageRefBody(input, op) ?? genericRecord(input, true);
  if (isFsDaxEvent(event, body)) return parseFsDaxBody(input) ?? genericRecord(input, true);
  if (looksLikeKprobe(body)) return parseKprobeBody(input, null);
  return null;
}

/**
 * A generic record with the body's `key=value` pairs. Unless the event was known (and
 * its issue already reported), raises UNKNOWN_EVENT.
 */
function genericRecord(input: BodyInput, known: boolean): GenericRecord {
  if (!known) reportUnknownEvent(input, `no parser for event '${input.base.event}'`);
  return buildGeneric(input.base, { fields: keyValueRecord(input.base.body) });
}
