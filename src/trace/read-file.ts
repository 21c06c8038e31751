/**
 * Reading a trace file from disk: the only module of src/trace that touches node
 * built-ins. Lines come from `readline` over a file stream, so a trace of any size is
 * read in constant memory.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { collectTraceAsync, parseTraceLines, type ParsedTrace } from './read-trace.ts';
import type { TraceItem, TraceReaderOptions } from './trace-reader.ts';

/**
 * The lines of a UTF-8 text file, streamed (`\r\n` and `\n` both end a line). The file
 * is opened when iteration starts: a readline interface created earlier starts emitting
 * lines at once, and lines emitted before its async iterator is attached are lost (a
 * stream created, then awaited after other work, never ended).
 */
export async function* readFileLines(path: string): AsyncGenerator<string, void, undefined> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    yield* lines;
  } finally {
    lines.close();
    input.destroy();
  }
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
