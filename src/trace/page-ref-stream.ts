/**
 * PageRefStream: the page_ref events of a trace text, fed as byte chunks of any
 * size, in constant memory (one partial line carried between chunks).
 *
 * The header goes through the full {@link TraceReader}. After it, each line that ends
 * inside the chunk is first read by {@link scanPageRefAt}, one forward pass from its
 * first byte to its newline (no newline search, no `page_ref_` search: most lines of
 * a page_ref trace end there). A line it declines is split at its newline and
 * classified from its bytes: a line without `page_ref_` is not a page_ref event and is
 * skipped unread (the lifter's business, not replay's), except for the few lines that
 * change how the rest reads (`KTRACE-END`, `CPU:N [LOST n EVENTS]`); a page_ref line
 * goes through {@link scanPageRefLine}, and whatever it declines goes to the full
 * reader, which parses it or reports it with file:line:column. Every event comes with
 * its line number and the byte offset of the next line (a checkpoint's resume point).
 */
import type { TraceHeader } from './header-types.ts';
import type { ParseIssue } from './issues.ts';
import type { TraceRecord } from './record-types.ts';
import { FAST_OK, PAGE_REF_PREFIX, roomOf, scanAt, scanPageRefLine, WORD_SLACK, wordView, type PageRefFields } from './page-ref-fast.ts';
import { headFlag, type PageRefRead } from './page-ref-events.ts';
import { TraceReader, type TraceItem, type TraceReaderOptions } from './trace-reader.ts';
import { maxLineBytes } from '../io/line-limit.ts';

/** Where PageRefStream delivers what it reads. */
export interface PageRefHandler {
  /** The header, once (before any event). */
  header(header: TraceHeader): void;
  /**
   * One page_ref event. `r` may be a scratch object reused for the next line: copy
   * what you keep. `next` is the byte offset of the next line. Return false to stop.
   */
  pageRef(r: PageRefRead, line: number, next: number): boolean;
  issue(issue: ParseIssue): void;
  /**
   * Asked once, right after the header: true to have every line read in full and
   * every record handed to {@link record} (a trace whose other events matter), false
   * (or absent) for the page_ref fast path.
   */
  readsAll?(header: TraceHeader): boolean;
  /** Every record, when {@link readsAll} said so. */
  record?(r: TraceRecord): void;
}

/**
 * Where a stream in a parse worker (page-ref-worker.ts) sends the lines the full reader
 * must read: that reader, with its context, is on the main thread, which reads them in
 * order through {@link PageRefStream.passedLine} and {@link PageRefStream.passedTooLong}.
 */
export interface LineSink {
  /** A line for the full reader: the fast path declined it, or it changes the reading. `next` is the offset after it. */
  slow(text: string, line: number, next: number): void;
  /** A line over the length limit, not read. */
  tooLong(line: number, next: number): void;
}

/** Where a stream starts: the beginning of a file, or a checkpoint's line after the header. */
export interface PageRefStreamStart {
  /** Byte offset of the first byte fed. Default 0. */
  readonly offset?: number;
  /** Line number of the line at `offset`. Default 1. */
  readonly line?: number;
  /**
   * A reader that has already read this file's header (resuming mid-file). The
   * stream then starts in event mode and reports no header.
   */
  readonly reader?: TraceReader;
  /**
   * The stream runs in a parse worker after the header (which the main thread read):
   * page_ref events go to the handler as usual, the lines for the full reader to the sink.
   */
  readonly sink?: LineSink;
}

const NL = 0x0a;
const PREFIX = Buffer.from(PAGE_REF_PREFIX, 'latin1');
const KTRACE_END = Buffer.from('KTRACE-END', 'latin1');

/** Splits chunks into lines and lines into page_ref events; see the file comment. */
export class PageRefStream {
  /** The full reader: header, lines the fast path declines, and the end-of-input checks. */
  readonly reader: TraceReader;
  private readonly handler: PageRefHandler;
  private carry: Buffer | null = null;
  /** Bytes so far of a line already over the length limit (-1: none); its bytes are counted, not kept. */
  private overlong = -1;
  private readonly limit = maxLineBytes();
  private offset: number;
  private lineNo: number;
  private headerDone: boolean;
  private ended = false;
  private stopped = false;
  /** Every line to the full reader (the handler's readsAll). */
  private all = false;
  private unread = 0;
  /** Index of the next `page_ref_` in the current chunk at or after the current line; -1 when none is left. */
  private nextRef = -1;
  private refFrom = Number.POSITIVE_INFINITY;
  private readonly scratch: PageRefFields = { op: 'mod', pfn: 0, count: 0, mapcount: 0, val: 0, ret: null, head: false };
  private readonly sink: LineSink | undefined;

  constructor(file: string, handler: PageRefHandler, start: PageRefStreamStart = {}, options: TraceReaderOptions = {}) {
    this.handler = handler;
    this.reader = start.reader ?? new TraceReader(file, options);
    this.sink = start.sink;
    this.headerDone = start.reader !== undefined || start.sink !== undefined;
    this.offset = start.offset ?? 0;
    this.lineNo = (start.line ?? 1) - 1;
  }

  /** Lines the fast path skipped unread (neither page_ref events nor lines that change the reading). */
  get unreadLines(): number {
    return this.unread;
  }

  /** Lines read so far. */
  get lines(): number {
    return this.lineNo;
  }

  /** The byte offset after the last line read. */
  get position(): number {
    return this.offset;
  }

  /** True once the handler asked to stop. */
  get done(): boolean {
    return this.stopped;
  }

  /** Feeds one chunk; returns false once the handler asked to stop. */
  push(chunk: Buffer): boolean {
    if (this.stopped) return false;
    let from = 0;
    // a carried line longer than the limit plus one byte (a CR) is too long whatever follows
    const cap = this.limit + 1;
    if (this.overlong >= 0) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.overlong += chunk.length;
        return true;
      }
      this.tooLong(this.overlong + nl + 1);
      this.overlong = -1;
      from = nl + 1;
    } else if (this.carry !== null) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        if (this.carry.length + chunk.length > cap) {
          this.overlong = this.carry.length + chunk.length;
          this.carry = null;
        } else this.carry = Buffer.concat([this.carry, chunk]);
        return true;
      }
      if (this.carry.length + nl > cap) {
        const bytes = this.carry.length + nl + 1;
        this.carry = null;
        this.tooLong(bytes);
      } else {
        const line = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
        this.carry = null;
        this.refFrom = Number.POSITIVE_INFINITY;
        this.line(line, 0, line.length, line.length + 1);
      }
      from = nl + 1;
    }
    this.refFrom = Number.POSITIVE_INFINITY;
    // lines that start before the chunk's last newline end inside it: scanPageRefAt reads them whole,
    // those whose newline leaves room for its word reads (WORD_SLACK; the rest, at most the last
    // few lines of a chunk that ends its ArrayBuffer, go through line() below)
    const room = roomOf(chunk);
    const end = chunk.lastIndexOf(NL);
    const last = end + WORD_SLACK <= room ? end : room < WORD_SLACK ? -1 : chunk.lastIndexOf(NL, room - WORD_SLACK);
    while (!this.stopped) {
      if (from <= last && this.headerDone && !this.ended && !this.all) {
        from = this.fastLines(chunk, from, last);
        if (this.stopped) break;
      }
      const nl = chunk.indexOf(NL, from);
      if (nl < 0) break;
      this.line(chunk, from, nl, nl - from + 1);
      from = nl + 1;
    }
    if (!this.stopped && from < chunk.length) {
      if (chunk.length - from > cap) this.overlong = chunk.length - from;
      // keep a copy: the stream may reuse its buffer for the next chunk
      else this.carry = Buffer.from(chunk.subarray(from));
    }
    return !this.stopped;
  }

  /**
   * Reads lines from `from` with {@link scanAt} while it takes them (each must start at
   * or before `last`, a newline with WORD_SLACK bytes of room after it); returns the start of the
   * first line it did not take. The hot loop on its own: small, optimized early, and
   * not thrown away when push() meets a line that needs the full reader.
   */
  private fastLines(chunk: Buffer, from: number, last: number): number {
    const scratch = this.scratch;
    const handler = this.handler;
    const limit = this.limit;
    const dv = wordView(chunk);
    let a = from;
    while (a <= last) {
      const nl = scanAt(chunk, dv, a, scratch);
      if (nl < 0 || nl - a > limit) break;
      this.lineNo++;
      this.offset += nl + 1 - a;
      a = nl + 1;
      if (!handler.pageRef(scratch, this.lineNo, this.offset)) {
        this.stopped = true;
        break;
      }
    }
    return a;
  }

  /** Ends the input: a last line without a newline, then the reader's end-of-input checks. */
  end(): void {
    if (!this.stopped && this.overlong >= 0) this.tooLong(this.overlong);
    else if (!this.stopped && this.carry !== null && this.carry.length > 0) this.line(this.carry, 0, this.carry.length, this.carry.length);
    this.carry = null;
    this.overlong = -1;
    // a worker's stream: the main thread's reader ends the input
    if (this.stopped || this.sink) return;
    this.deliver(this.reader.end());
  }

  /**
   * Hands the rest of the input to a parse worker: the offset and number of the line
   * after the last complete one read here (the partial line is dropped: the worker
   * reads it again), or null when the stream must go on here (stopped, header not
   * read, every line read in full, past KTRACE-END, inside an over-long line).
   */
  handOff(): { readonly offset: number; readonly line: number } | null {
    if (this.stopped || !this.headerDone || this.all || this.ended || this.overlong >= 0 || this.sink) return null;
    this.carry = null;
    return { offset: this.offset, line: this.lineNo + 1 };
  }

  /** A page_ref event a worker's fast path read (its line number and the offset after it), delivered as this stream would. */
  passedPageRef(r: PageRefRead, line: number, next: number): boolean {
    if (this.stopped) return false;
    this.lineNo = line;
    this.offset = next;
    if (!this.handler.pageRef(r, line, next)) this.stopped = true;
    return !this.stopped;
  }

  /** A line a worker passed on for the full reader ({@link LineSink.slow}), read as {@link slow} reads it. */
  passedLine(text: string, line: number, next: number): boolean {
    if (this.stopped) return false;
    this.lineNo = line;
    this.offset = next;
    this.deliver(this.reader.skipTo(this.lineNo));
    if (text.startsWith('KTRACE-END')) this.ended = true;
    this.deliver(this.reader.push(text));
    return !this.stopped;
  }

  /** A line over the limit a worker passed on ({@link LineSink.tooLong}). */
  passedTooLong(line: number, next: number): boolean {
    if (this.stopped) return false;
    this.lineNo = line;
    this.offset = next;
    this.deliver(this.reader.skipTo(this.lineNo));
    this.deliver(this.reader.pushTooLong(this.limit));
    return !this.stopped;
  }

  /** The worker read to the end: its line count, end offset and lines it skipped unread. */
  passedEnd(lines: number, offset: number, unread: number): void {
    this.lineNo = lines;
    this.offset = offset;
    this.unread += unread;
  }

  /** A line of `bytes` bytes (with its newline) over the length limit: reported, not read. */
  private tooLong(bytes: number): void {
    this.lineNo++;
    this.offset += bytes;
    if (this.sink) return this.sink.tooLong(this.lineNo, this.offset);
    if (this.headerDone) this.deliver(this.reader.skipTo(this.lineNo));
    this.deliver(this.reader.pushTooLong(this.limit));
  }

  /** One line `buf[a, b)` of `bytes` bytes including its newline. */
  private line(buf: Buffer, a: number, b: number, bytes: number): void {
    if (b - a > this.limit && !(b - a === this.limit + 1 && buf[b - 1] === 0x0d)) return this.tooLong(bytes);
    this.lineNo++;
    this.offset += bytes;
    if (!this.headerDone || this.ended || this.all) return this.slow(buf, a, b);
    if (this.refFrom > a || (this.nextRef >= 0 && this.nextRef < a)) {
      // one forward search per chunk (restarted only when a line passed the last hit)
      this.nextRef = buf.indexOf(PREFIX, a);
      this.refFrom = a;
    }
    if (this.nextRef >= 0 && this.nextRef < b) {
      if (scanPageRefLine(buf, a, b, this.nextRef, this.scratch) === FAST_OK) {
        if (!this.handler.pageRef(this.scratch, this.lineNo, this.offset)) this.stopped = true;
        return;
      }
      return this.slow(buf, a, b);
    }
    // Not a page_ref line. Only the end marker and lost-events lines matter to replay.
    this.unread++;
    const c = buf[a];
    if (c === 0x4b /* K */ && buf.subarray(a, a + KTRACE_END.length).equals(KTRACE_END)) return this.slow(buf, a, b);
    if (c === 0x43 /* C */ || c === 0x20) {
      let i = a;
      while (i < b && buf[i] === 0x20) i++;
      if (buf[i] === 0x43 && buf[i + 1] === 0x50 && buf[i + 2] === 0x55 && buf[i + 3] === 0x3a) this.slow(buf, a, b);
    }
  }

  /** The full reader's way, for lines the fast path does not take. */
  private slow(buf: Buffer, a: number, b: number): void {
    const text = buf.toString('utf8', a, b);
    if (this.sink) {
      if (text.startsWith('KTRACE-END')) this.ended = true;
      return this.sink.slow(text, this.lineNo, this.offset);
    }
    if (this.headerDone) this.deliver(this.reader.skipTo(this.lineNo));
    if (text.startsWith('KTRACE-END')) this.ended = true;
    this.deliver(this.reader.push(text));
  }

  private deliver(items: readonly TraceItem[]): void {
    for (const item of items) {
      if (this.stopped) return;
      if (item.type === 'header') {
        this.headerDone = true;
        this.handler.header(item.header);
        this.all = this.handler.readsAll?.(item.header) ?? false;
      } else if (item.type === 'issue') this.handler.issue(item.issue);
      else if (item.type === 'record' && this.all) this.handler.record?.(item.record);
      else if (item.type === 'record' && item.record.kind === 'page_ref') {
        const r = item.record;
        if (!this.handler.pageRef({ op: r.op, pfn: r.pfn, count: r.count, val: r.val, ret: r.ret, head: headFlag(r), mapcount: r.mapcount }, this.lineNo, this.offset)) this.stopped = true;
      }
    }
  }
}
