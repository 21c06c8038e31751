/**
 * Reading a trace file from disk: the only module of src/trace that touches node
 * built-ins. Lines come from `readline` over a file stream, so a trace of any size is
 * read in constant memory.
 */
import { maxLineBytes, readLines } from '../io/read-lines.ts';
import { collectTraceAsync, parseTraceLines, type ParsedTrace, type TooLongLine } from './read-trace.ts';
import type { TraceItem, TraceReaderOptions } from './trace-reader.ts';

/**
 * The lines of a UTF-8 text file, streamed (`\r\n` and `\n` both end a line). A line
 * longer than the line-length limit is not kept: it comes as a {@link TooLongLine}, so
 * a damaged file costs time and memory bounded by the limit, not by the damage.
 */
export async function* readFileLines(path: string): AsyncGenerator<string | TooLongLine, void, undefined> {
  const limit = maxLineBytes();
  for await (const rec of readLines(path, { maxLineBytes: limit })) yield rec.tooLong ? { limit } : rec.text;
}

/**
 * Streams a trace file: the header item, then records and issues in line order, then
 * the summary. Issues name the file by `path`.
 */
export function streamTraceFile(path: string, options: TraceReaderOptions = {}): AsyncGenerator<TraceItem, void, undefined> {
  return parseTraceLines(readFileLines(path), path, options);
}

/**
 * Reads a whole trace file into memory as a {@link ParsedTrace} (records kept: use
 * {@link streamTraceFile} for large traces).
 */
export async function readTraceFile(path: string, options: TraceReaderOptions = {}): Promise<ParsedTrace> {
  return collectTraceAsync(streamTraceFile(path, options), path);
}
