/**
 * Public entry points of the trace reader: a whole text at once
 * ({@link parseTraceText}), or a stream of lines ({@link parseTraceLines},
 * {@link parseTraceLinesSync}) yielding the header, then records and issues in line
 * order, then a summary. Pure: no I/O (see read-file.ts for files).
 */
import type { TraceHeader } from './header-types.ts';
import type { ParseIssue } from './issues.ts';
import type { TraceRecord } from './record-types.ts';
import { TraceReader, type TraceItem, type TraceReaderOptions, type TraceSummary } from './trace-reader.ts';

/** A line the file reader did not keep because it is longer than `limit` bytes. */
export interface TooLongLine {
  readonly limit: number;
}

/** A whole trace, read. */
export interface ParsedTrace {
  readonly file: string;
  readonly header: TraceHeader;
  readonly records: readonly TraceRecord[];
  /** All issues, in line order. */
  readonly issues: readonly ParseIssue[];
  readonly summary: TraceSummary;
}

/**
 * Reads a whole trace text (tracefs `trace` output, `trace-cmd report` output, with or
 * without a KTRACE header). `file` names the input in issues.
 */
export function parseTraceText(text: string, file: string, options: TraceReaderOptions = {}): ParsedTrace {
  return collectTrace(splitLines(text), file, options);
}

/** Reads an in-memory sequence of lines into a {@link ParsedTrace}. */
export function collectTrace(lines: Iterable<string>, file: string, options: TraceReaderOptions = {}): ParsedTrace {
  const acc = new TraceAccumulator(file);
  for (const item of parseTraceLinesSync(lines, file, options)) acc.add(item);
  return acc.result();
}

/** Collects a stream of items (e.g. from {@link parseTraceLines}) into a {@link ParsedTrace}. */
export async function collectTraceAsync(items: AsyncIterable<TraceItem>, file: string): Promise<ParsedTrace> {
  const acc = new TraceAccumulator(file);
  for await (const item of items) acc.add(item);
  return acc.result();
}

/** Gathers stream items into the parts of a {@link ParsedTrace}. */
class TraceAccumulator {
  private readonly file: string;
  private readonly records: TraceRecord[] = [];
  private readonly issues: ParseIssue[] = [];
  private header: TraceHeader | null = null;
  private summary: TraceSummary | null = null;

  constructor(file: string) {
    this.file = file;
  }

  add(item: TraceItem): void {
    if (item.type === 'record') this.records.push(item.record);
    else if (item.type === 'issue') this.issues.push(item.issue);
    else if (item.type === 'header') this.header = item.header;
    else this.summary = item.summary;
  }

  result(): ParsedTrace {
    if (this.header === null || this.summary === null) throw new Error('trace stream ended without its header or end item');
    return { file: this.file, header: this.header, records: this.records, issues: this.issues, summary: this.summary };
  }
}

/**
 * Streams a trace from lines, synchronously. Yields exactly one `header` item (before
 * the first record), `record` and `issue` items in line order, and a final `end` item.
 */
export function* parseTraceLinesSync(
  lines: Iterable<string>,
  file: string,
  options: TraceReaderOptions = {},
): Generator<TraceItem, void, undefined> {
  const reader = new TraceReader(file, options);
  for (const line of lines) yield* reader.push(line);
  yield* reader.end();
}

/**
 * Streams a trace from lines (sync or async, e.g. `readline`), in constant memory.
 * Same items as {@link parseTraceLinesSync}.
 */
export async function* parseTraceLines(
  lines: Iterable<string | TooLongLine> | AsyncIterable<string | TooLongLine>,
  file: string,
  options: TraceReaderOptions = {},
): AsyncGenerator<TraceItem, void, undefined> {
  const reader = new TraceReader(file, options);
  for await (const line of lines) yield* typeof line === 'string' ? reader.push(line) : reader.pushTooLong(line.limit);
  yield* reader.end();
}

/**
 * Only the records of a stream, for consumers that take the header and issues from
 * the reader elsewhere (or ignore them).
 */
export async function* recordsOf(items: AsyncIterable<TraceItem>): AsyncGenerator<TraceRecord, void, undefined> {
  for await (const item of items) if (item.type === 'record') yield item.record;
}

/**
 * Splits a text into lines lazily (`\n`, with `\r\n` handled by the reader); a final
 * newline does not make an extra empty line.
 */
export function* splitLines(text: string): Generator<string, void, undefined> {
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      yield text.slice(start);
      return;
    }
    yield text.slice(start, nl);
    start = nl + 1;
  }
}
