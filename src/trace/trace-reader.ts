/**
 * The incremental, pure trace reader: push lines one at a time, get back
 * {@link TraceItem}s (the header once, then records and issues in line order, and a
 * summary at the end). It holds no lines, only the header and O(distinct events)
 * counters, so a 10-million-line trace streams in constant memory.
 */
import { makeTraceContext, type TraceContext } from './body-context.ts';
import { pageFlagTableFor } from './flag-tables.ts';
import type { TraceDialect, TraceHeader } from './header-types.ts';
import { HeaderBuilder } from './header.ts';
import { makeIssue, type ParseIssue } from './issues.ts';
import { isEventLineError, parseEventLine, type EventLine, type EventLineError } from './line.ts';
import type { ProbeDefinition } from './probe-definition.ts';
import { parseRecord } from './record.ts';
import type { TraceRecord } from './record-types.ts';

/** Options of a reader. */
export interface TraceReaderOptions {
  /** Extra probe definitions, for traces whose header lacks `# kprobe_events:` (the header's win). */
  readonly probes?: readonly ProbeDefinition[];
  /** UNKNOWN_EVENT once per event name (`first`, the default) or at every occurrence (`every`). */
  readonly unknownEvents?: 'first' | 'every';
}

/** What a trace amounts to once read. */
export interface TraceSummary {
  /** Input lines seen. */
  readonly lines: number;
  readonly records: number;
  readonly errors: number;
  readonly warnings: number;
  /** True when a `KTRACE-END` line was seen. */
  readonly ended: boolean;
  /** Events the ring buffer reported lost (`[LOST n EVENTS]`). */
  readonly lostEvents: number;
  readonly firstTs: number | null;
  readonly lastTs: number | null;
  /** Records per event name as printed (`tracing_mark_write`, `print`, `snap`, …). */
  readonly eventCounts: Readonly<Record<string, number>>;
}

/** One item of a trace stream. */
export type TraceItem =
  | { readonly type: 'header'; readonly header: TraceHeader }
  | { readonly type: 'record'; readonly record: TraceRecord }
  | { readonly type: 'issue'; readonly issue: ParseIssue }
  | { readonly type: 'end'; readonly summary: TraceSummary };

const LOST = /^\s*CPU:\s*(\d+)\s+\[LOST (\d+) EVENTS\]\s*$/;
/** trace-cmd report's form of the same loss. */
const DROPPED = /^\s*CPU:\s*(\d+)\s+\[(\d+) EVENTS DROPPED\]\s*$/;

/** The CPU and event count of a lost-events line (ftrace `LOST n EVENTS`, trace-cmd `n EVENTS DROPPED`), or null. */
export function lostEventsOf(text: string): { readonly cpu: number; readonly events: number; readonly how: 'LOST' | 'DROPPED' } | null {
  const lost = LOST.exec(text);
  if (lost) return { cpu: Number(lost[1]), events: Number(lost[2]), how: 'LOST' };
  const dropped = DROPPED.exec(text);
  if (dropped) return { cpu: Number(dropped[1]), events: Number(dropped[2]), how: 'DROPPED' };
  return null;
}

/** Line-at-a-time trace reader (pure: no I/O). */
export class TraceReader {
  private readonly file: string;
  private readonly options: TraceReaderOptions;
  private readonly headerBuilder: HeaderBuilder;
  private out: TraceItem[] = [];
  private headerValue: TraceHeader | null = null;
  private ctx: TraceContext | null = null;
  private lineNo = 0;
  private records = 0;
  private errors = 0;
  private warnings = 0;
  private ended = false;
  private warnedAfterEnd = false;
  private lostEvents = 0;
  private firstTs: number | null = null;
  private lastTs: number | null = null;
  private readonly counts = new Map<string, number>();
  /** A line that broke off early: BAD_LINE unless it turns out to be the last one. */
  private pending: { line: number; text: string; error: EventLineError } | null = null;

  constructor(file: string, options: TraceReaderOptions = {}) {
    this.file = file;
    this.options = options;
    this.headerBuilder = new HeaderBuilder(file, (i) => this.emitIssue(i));
  }

  /** The header, once the first event line (or the end) has completed it; else `null`. */
  get header(): TraceHeader | null {
    return this.headerValue;
  }

  /**
   * Makes the next {@link push} line number `lineNo`: the lines in between were read
   * by someone else (the replay's page_ref fast path, which hands the reader only the
   * lines it cannot read itself). They count as non-blank, so a line cut short before
   * them settles as BAD_LINE; returns that issue, if any.
   */
  skipTo(lineNo: number): TraceItem[] {
    this.out = [];
    if (lineNo - 1 > this.lineNo) {
      this.settlePending(false);
      this.lineNo = lineNo - 1;
    }
    return this.out;
  }

  /** Feeds one line (without its newline; a trailing `\r` is dropped) and returns what it produced. */
  push(line: string): TraceItem[] {
    this.out = [];
    let text = line.endsWith('\r') ? line.slice(0, -1) : line;
    this.lineNo++;
    if (this.lineNo === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
    const blank = isBlank(text);
    if (!blank) this.settlePending(text.startsWith('KTRACE-END'));
    if (this.ended) {
      if (!blank && !this.warnedAfterEnd) this.issue(text, 0, 'BAD_HEADER', 'text after KTRACE-END ignored (reported once)');
      this.warnedAfterEnd ||= !blank;
    } else if (text.startsWith('KTRACE-END')) this.ended = true;
    else if (this.headerValue === null && this.headerBuilder.accept(text, this.lineNo)) {
      // consumed as a header line
    } else if (!blank) this.body(text);
    return this.out;
  }

  /**
   * Counts a line the file reader found longer than `limit` bytes and did not keep
   * (so reading it cost time in proportion to the limit): LINE_TOO_LONG just past it.
   */
  pushTooLong(limit: number): TraceItem[] {
    this.out = [];
    this.lineNo++;
    this.settlePending(false);
    this.issue('', limit, 'LINE_TOO_LONG', `line longer than ${limit} bytes (the limit; see --max-line-bytes): not read`);
    return this.out;
  }

  /** Signals the end of input: flushes the header, a pending cut line and the summary. */
  end(): TraceItem[] {
    this.out = [];
    this.settlePending(true);
    this.completeHeader('unknown');
    if (this.headerValue?.ktrace === true && !this.ended) {
      this.issue('', 0, 'TRUNCATED_LINE', 'no KTRACE-END: the recording may be cut short', 'warning', this.lineNo);
    }
    this.out.push({ type: 'end', summary: this.summary() });
    return this.out;
  }

  /** The summary so far. */
  summary(): TraceSummary {
    return {
      lines: this.lineNo,
      records: this.records,
      errors: this.errors,
      warnings: this.warnings,
      ended: this.ended,
      lostEvents: this.lostEvents,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      eventCounts: Object.fromEntries(this.counts),
    };
  }

  private body(text: string): void {
    if (text.startsWith('#')) return;
    const lost = lostEventsOf(text);
    if (lost) {
      this.lostEvents += lost.events;
      return this.issue(text, text.indexOf('['), 'LOST_EVENTS', `CPU ${lost.cpu} lost ${lost.events} events here`);
    }
    const ev = parseEventLine(text);
    if (isEventLineError(ev)) {
      if (ev.truncated) this.pending = { line: this.lineNo, text, error: ev };
      else this.issue(text, ev.offset, 'BAD_LINE', ev.message);
      return;
    }
    this.completeHeader(dialectOf(ev));
    this.checkTime(ev, text);
    const record = parseRecord(ev, this.lineNo, text, this.ctx as TraceContext);
    this.records++;
    this.counts.set(record.event, (this.counts.get(record.event) ?? 0) + 1);
    this.out.push({ type: 'record', record });
  }

  private checkTime(ev: EventLine, text: string): void {
    if (this.lastTs !== null && ev.ts < this.lastTs) {
      const at = text.indexOf(`${ev.tsText}:`);
      this.issue(text, at, 'NON_MONOTONIC_TS', `timestamp ${ev.tsText} is before the previous event's ${this.lastTs}`);
    }
    this.firstTs ??= ev.ts;
    this.lastTs = ev.ts;
  }

  private completeHeader(hint: TraceDialect): void {
    if (this.headerValue !== null) return;
    const header = this.headerBuilder.build(hint);
    this.headerValue = header;
    const probes = [...header.probes, ...header.attachStatus.flatMap((s) => (s.probe ? [s.probe] : [])), ...(this.options.probes ?? [])];
    const report = (i: ParseIssue): void => this.emitIssue(i);
    this.ctx = makeTraceContext(this.file, probes, pageFlagTableFor(header.release), report, this.options.unknownEvents);
    this.out.push({ type: 'header', header });
  }

  /** A held cut line becomes TRUNCATED_LINE at the end of input (or before KTRACE-END), else BAD_LINE. */
  private settlePending(atEnd: boolean): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    if (atEnd) this.issue(p.text, p.error.offset, 'TRUNCATED_LINE', `${p.error.message} (line cut short)`, 'warning', p.line);
    else this.issue(p.text, p.error.offset, 'BAD_LINE', p.error.message, undefined, p.line);
  }

  private issue(
    text: string,
    offset: number,
    code: ParseIssue['code'],
    message: string,
    severity?: ParseIssue['severity'],
    line = this.lineNo,
  ): void {
    this.emitIssue(makeIssue({ file: this.file, line, text }, code, Math.max(0, offset), message, severity));
  }

  private emitIssue(issue: ParseIssue): void {
    if (issue.severity === 'error') this.errors++;
    else this.warnings++;
    this.out.push({ type: 'issue', issue });
  }
}

/** True for an empty or all-whitespace line (without allocating a trimmed copy). */
function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** The dialect suggested by the first event line: a latency column means tracefs. */
function dialectOf(ev: EventLine): TraceDialect {
  if (ev.irqFlags !== null) return 'tracefs';
  return ev.body.startsWith(' ') ? 'trace-cmd' : 'unknown';
}
