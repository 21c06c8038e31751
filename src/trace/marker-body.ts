/**
 * trace_marker writes. The kernel's `ftrace:print` event prints `%ps: %s` with the
 * writer's ip, which tracefs shows as the event name `tracing_mark_write`; trace-cmd
 * shows the event as `print` and the `tracing_mark_write: ` (or, unresolved, a hex ip)
 * prefix as part of the payload.
 */
import type { BodyInput } from './body-context.ts';
import { markerRecord } from './record-build.ts';
import type { MarkerRecord } from './record-types.ts';

const PRINT_PREFIX = /^(tracing_mark_write|(?:0x)?[0-9a-f]{8,16}): ?/;
const PHASE = /^PHASE\s+(\S+)/;
const WORD_KV = /(?:^|\s)([A-Za-z_]\w*)=(\S*)/g;

/** True for an event line that is a trace_marker write in either dialect. */
export function isMarkerEvent(event: string, body: string): boolean {
  return event === 'tracing_mark_write' || (event === 'print' && PRINT_PREFIX.test(body.trimStart()));
}

/**
 * Parses a marker body: the text, the phase of a `PHASE <word>` marker and the
 * `key=value` words of the text. The body of `tracing_mark_write` is the text exactly
 * (only the one separating space was dropped); for trace-cmd's `print` the prefix is removed.
 */
export function parseMarkerBody(input: BodyInput): MarkerRecord {
  const body = input.base.body;
  const text = input.base.event === 'print' ? body.replace(PRINT_PREFIX, '') : body;
  const fields: Record<string, string> = {};
  WORD_KV.lastIndex = 0;
  for (let m = WORD_KV.exec(text); m !== null; m = WORD_KV.exec(text)) fields[m[1] ?? ''] = m[2] ?? '';
  return markerRecord(input.base, { text, phase: PHASE.exec(text)?.[1] ?? null, fields });
}
