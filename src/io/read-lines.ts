/**
 * Streams the lines of a file, with each line's 1-based number and byte offset,
 * in constant memory (one read buffer plus at most one partial line). Lines are
 * split on the newline byte, which never occurs inside a multi-byte UTF-8
 * sequence, so a chunk boundary can fall anywhere. A reader can start at a byte
 * offset (a checkpoint's position) and is told which line number that is.
 */
import { createReadStream } from 'node:fs';
import { Observable } from 'rxjs';
import { maxLineBytes } from './line-limit.ts';

export { DEFAULT_MAX_LINE_BYTES, lineTooLongMessage, maxLineBytes, setMaxLineBytes } from './line-limit.ts';

/** One line of a file. */
export interface LineRecord {
  /** The line without its newline (and without a trailing CR); empty when {@link tooLong}. */
  readonly text: string;
  /** 1-based line number. */
  readonly line: number;
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** Byte offset just past the line's newline: where the next line starts. */
  readonly next: number;
  /** False only for a last line with no trailing newline. */
  readonly terminated: boolean;
  /**
   * Present (true) when the line is longer than the limit: its text was not kept (the
   * reader skipped to its newline), and the consumer reports it as LINE_TOO_LONG.
   */
  readonly tooLong?: true;
}

/** Where and how to read. */
export interface ReadLinesOptions {
  /** Byte offset to start at (the start of a line). Default 0. */
  readonly start?: number;
  /** The line number of the line at `start`. Default 1. */
  readonly firstLine?: number;
  /** Read buffer size in bytes. Default 64 KiB. */
  readonly chunkBytes?: number;
  /** Longest line kept, in bytes (without the newline). Default {@link maxLineBytes}(). */
  readonly maxLineBytes?: number;
}

const NL = 0x0a;

/**
 * Splits byte chunks into LineRecords. `emit` returns false to stop early (the
 * subscriber unsubscribed), so the rest of a chunk is not decoded for nothing. A line
 * longer than the limit is not kept: once its bytes pass the limit they are only
 * counted until its newline, so the work and memory it costs are bounded by the limit.
 */
export class LineSplitter {
  private carry: Buffer | null = null;
  /** Bytes of the current line seen so far while it is over the limit (-1: it is not). */
  private overlong = -1;
  private offset: number;
  private line: number;
  private readonly emit: (r: LineRecord) => boolean;
  private readonly limit: number;

  constructor(start: number, firstLine: number, emit: (r: LineRecord) => boolean, limit: number = maxLineBytes()) {
    this.offset = start;
    this.line = firstLine;
    this.emit = emit;
    this.limit = limit;
  }

  /** Splits one chunk; returns false once `emit` asked to stop. */
  push(chunk: Buffer): boolean {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, from);
      if (nl < 0) break;
      if (this.overlong >= 0) {
        if (!this.tooLong(this.overlong + (nl - from), true)) return false;
        this.overlong = -1;
        from = nl + 1;
        continue;
      }
      let buf = chunk;
      let a = from;
      if (this.carry) {
        if (this.carry.length + (nl - from) > this.limit + 1) {
          const bytes = this.carry.length + (nl - from);
          this.carry = null;
          if (!this.tooLong(bytes, true)) return false;
          from = nl + 1;
          continue;
        }
        buf = Buffer.concat([this.carry, chunk.subarray(from, nl)]);
        a = 0;
        this.carry = null;
      }
      const b = buf === chunk ? nl : buf.length;
      if (!this.record(buf, a, b, true)) return false;
      from = nl + 1;
    }
    if (from < chunk.length) {
      const restBytes = chunk.length - from;
      if (this.overlong >= 0) this.overlong += restBytes;
      else if ((this.carry?.length ?? 0) + restBytes > this.limit + 1) {
        // past the limit: stop keeping bytes, only count them
        this.overlong = (this.carry?.length ?? 0) + restBytes;
        this.carry = null;
      } else {
        // keep a copy: the stream may reuse its buffer for the next chunk
        const rest = Buffer.from(chunk.subarray(from));
        this.carry = this.carry ? Buffer.concat([this.carry, rest]) : rest;
      }
    }
    return true;
  }

  /** Flushes a last line that has no newline. */
  end(): void {
    if (this.overlong >= 0) this.tooLong(this.overlong, false);
    else if (this.carry && this.carry.length > 0) this.record(this.carry, 0, this.carry.length, false);
    this.overlong = -1;
    this.carry = null;
  }

  private record(buf: Buffer, a: number, b: number, terminated: boolean): boolean {
    const bytes = b - a + (terminated ? 1 : 0);
    const end = b > a && buf[b - 1] === 0x0d ? b - 1 : b;
    // the limit counts the line without its CR: one byte of slack was kept for it
    if (end - a > this.limit) return this.tooLong(b - a, terminated);
    const rec: LineRecord = { text: buf.toString('utf8', a, end), line: this.line, offset: this.offset, next: this.offset + bytes, terminated };
    this.line++;
    this.offset += bytes;
    return this.emit(rec);
  }

  /** A line of `length` bytes (without its newline) that is over the limit. */
  private tooLong(length: number, terminated: boolean): boolean {
    const bytes = length + (terminated ? 1 : 0);
    const rec: LineRecord = { text: '', line: this.line, offset: this.offset, next: this.offset + bytes, terminated, tooLong: true };
    this.line++;
    this.offset += bytes;
    return this.emit(rec);
  }
}

/**
 * The lines of `path` as a cold Observable: each subscription opens the file,
 * and unsubscribing (e.g. `take(n)`) closes it. Errors (ENOENT, EISDIR, …) arrive
 * on the error channel.
 */
export function readLines$(path: string, opts: ReadLinesOptions = {}): Observable<LineRecord> {
  return new Observable<LineRecord>((sub) => {
    const start = opts.start ?? 0;
    const stream = createReadStream(path, { start, highWaterMark: opts.chunkBytes ?? 1 << 16 });
    const splitter = new LineSplitter(start, opts.firstLine ?? 1, (r) => {
      sub.next(r);
      return !sub.closed;
    }, opts.maxLineBytes);
    stream.on('data', (chunk) => {
      if (!splitter.push(chunk as Buffer)) stream.destroy();
    });
    stream.on('end', () => {
      splitter.end();
      sub.complete();
    });
    stream.on('error', (e) => sub.error(e));
    return () => {
      stream.destroy();
    };
  });
}

/** The lines of `path` as an async iterator (for callers that prefer `for await`). */
export async function* readLines(path: string, opts: ReadLinesOptions = {}): AsyncGenerator<LineRecord> {
  const start = opts.start ?? 0;
  const stream = createReadStream(path, { start, highWaterMark: opts.chunkBytes ?? 1 << 16 });
  const ready: LineRecord[] = [];
  const splitter = new LineSplitter(start, opts.firstLine ?? 1, (r) => ready.push(r) > 0, opts.maxLineBytes);
  try {
    for await (const chunk of stream) {
      splitter.push(chunk as Buffer);
      yield* ready.splice(0);
    }
    splitter.end();
    yield* ready.splice(0);
  } finally {
    stream.destroy();
  }
}
