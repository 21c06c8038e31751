/**
 * The common prefix of an event line, in every layout ftrace and trace-cmd print:
 *
 * ```
 * tracefs:         TASK-PID     [CPU] FLAGS  TIMESTAMP: EVENT: BODY
 * tracefs + tgid:  TASK-PID (TGID) [CPU] FLAGS  TIMESTAMP: EVENT: BODY
 * no irq-info:     TASK-PID     [CPU]  TIMESTAMP: EVENT: BODY
 * trace-cmd:       TASK-PID   [CPU]  TIMESTAMP: EVENT:<pad> BODY     (-t: 9 decimals)
 * ```
 *
 * FLAGS is the 4-character (before v5.13) or 5-character latency column
 * (`d..1.`: irqs-off, need-resched, hard/softirq, preempt depth, migrate-disable).
 */

/** The parsed prefix of an event line. */
export interface EventLine {
  readonly task: string;
  readonly pid: number;
  /** From a `(TGID)` column (`options/record-tgid`); `null` when absent or `(-------)`. */
  readonly tgid: number | null;
  readonly cpu: number;
  /** The latency flags column as printed (`d..1.`), `null` when the layout has none. */
  readonly irqFlags: string | null;
  /** Seconds. */
  readonly ts: number;
  /** The timestamp exactly as printed (keeps the 9 decimals of `trace-cmd report -t`). */
  readonly tsText: string;
  readonly event: string;
  /** Everything after `EVENT:` and one space (trace-cmd's padding not removed). */
  readonly body: string;
  /** 0-based offset of {@link body} in the line. */
  readonly bodyOffset: number;
}

/** Why a line is not an event line, positioned at the first character that does not fit. */
export interface EventLineError {
  /** 0-based offset of the offending character. */
  readonly offset: number;
  readonly message: string;
  /** True when the line simply ends early (everything present was well-formed). */
  readonly truncated: boolean;
}

// Sticky, matched from the first non-blank character: a leading `\s*` before the lazy
// task name made a failing match try every split of the leading blanks (quadratic).
const FULL =
  /(.*?)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(?:([^\s:]{4,5})\s+)?(\d+(?:\.\d+)?):\s+([\w.-]+):( |$)/y;

/** Offset of the first character that is not a space or a tab. */
function firstNonBlank(text: string): number {
  let p = 0;
  while (p < text.length && (text.charCodeAt(p) === 0x20 || text.charCodeAt(p) === 0x09)) p++;
  return p;
}

/** Parses an event line's prefix, or explains (with a column) why it is not one. */
export function parseEventLine(text: string): EventLine | EventLineError {
  const start = firstNonBlank(text);
  FULL.lastIndex = start;
  const m = FULL.exec(text);
  if (!m) return diagnose(text, start);
  const tgid = m[3] === undefined || m[3].startsWith('-') ? null : Number(m[3]);
  const tsText = m[6] ?? '';
  return {
    task: m[1] ?? '',
    pid: Number(m[2]),
    tgid,
    cpu: Number(m[4]),
    irqFlags: m[5] ?? null,
    ts: Number(tsText),
    tsText,
    event: m[7] ?? '',
    body: text.slice(start + m[0].length),
    bodyOffset: start + m[0].length,
  };
}

/** True when `r` is an {@link EventLineError}. */
export function isEventLineError(r: EventLine | EventLineError): r is EventLineError {
  return 'message' in r;
}

/** Steps through the prefix to find the first column that breaks the layout. */
function diagnose(text: string, start: number): EventLineError {
  const fail = (offset: number, message: string): EventLineError => ({
    offset,
    message,
    truncated: offset >= text.trimEnd().length && offset > start,
  });
  const taskPid = TASK_PID.exec(text.slice(start));
  if (!taskPid) return fail(start, 'not an ftrace event line: expected TASK-PID');
  let pos = skipSpaces(text, start + taskPid[0].length);
  const tgid = /^\(\s*(\d+|-+)\)/.exec(text.slice(pos));
  if (tgid) pos = skipSpaces(text, pos + tgid[0].length);
  const cpu = /^\[(\d+)\]/.exec(text.slice(pos));
  if (!cpu) return fail(pos, 'expected [CPU] after TASK-PID');
  pos = skipSpaces(text, pos + cpu[0].length);
  const flags = /^([^\s:]{4,5})(?=\s|$)/.exec(text.slice(pos));
  if (flags && !/^\d+(\.\d+)?:/.test(text.slice(pos))) pos = skipSpaces(text, pos + flags[0].length);
  const ts = /^(\d+(?:\.\d+)?):/.exec(text.slice(pos));
  if (!ts) return fail(pos, 'expected TIMESTAMP: (seconds)');
  pos = skipSpaces(text, pos + ts[0].length);
  const ev = /^([\w.-]+):/.exec(text.slice(pos));
  if (!ev) return fail(pos, 'expected EVENT: after the timestamp');
  return fail(pos + ev[0].length, 'expected a space after EVENT:');
}

const TASK_PID = /^(.*?)-(\d+)(?=\s|$)/;

function skipSpaces(text: string, pos: number): number {
  let p = pos;
  while (p < text.length && (text[p] === ' ' || text[p] === '\t')) p++;
  return p;
}
