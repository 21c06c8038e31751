/**
 * The last bytes of an input that can be read only once (standard input), kept so that
 * an error found after its line was read (an Op over its bound, a snap value too far to
 * resync: both raised when the Op is replayed, a few chunks behind the reader) can
 * still quote that line with its column, as a file's error does by reading the file
 * again. Memory is bounded by a byte budget, whatever the input's size; a line that
 * has left the budget (or is over the line limit) is not found, and the error keeps
 * its line number alone.
 */
import { LineSplitter, maxLineBytes } from './read-lines.ts';

/** Bytes kept by default: many times the lag between the reader and the replay (one read chunk, plus an Op the lifter holds open). */
export const INPUT_TAIL_BYTES = 16 * 2 ** 20;

const NL = 0x0a;

interface Held {
  readonly buf: Buffer;
  /** The line number of the chunk's first byte. */
  readonly firstLine: number;
  /** True when that byte starts its line (the input's first chunk, or the one before ended with a newline). */
  readonly atLineStart: boolean;
}

/** The tail of a byte stream, fed as it is read. */
export class InputTail {
  private readonly held: Held[] = [];
  private bytes = 0;
  /** The line the next byte belongs to. */
  private line = 1;
  private atLineStart = true;
  private readonly budget: number;

  constructor(budget = INPUT_TAIL_BYTES) {
    this.budget = budget;
  }

  /** Keeps a chunk (a copy: a stream may reuse its buffer), dropping the oldest past the budget. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.held.push({ buf: Buffer.from(chunk), firstLine: this.line, atLineStart: this.atLineStart });
    this.bytes += chunk.length;
    for (let at = chunk.indexOf(NL); at >= 0; at = chunk.indexOf(NL, at + 1)) this.line++;
    this.atLineStart = chunk[chunk.length - 1] === NL;
    while (this.held.length > 1 && this.bytes - this.held[0]!.buf.length >= this.budget) this.bytes -= this.held.shift()!.buf.length;
  }

  /** The text of line `n` (1-based, without its newline or CR), or undefined when it is no longer held, not read yet, or over the line limit. */
  lineText(n: number): string | undefined {
    const first = this.held[0];
    if (first === undefined || n < first.firstLine || n > this.line) return undefined;
    const all = Buffer.concat(this.held.map((h) => h.buf));
    let from = 0;
    let line = first.firstLine;
    if (!first.atLineStart) {
      // the first bytes held end a line whose start was dropped
      if (n === line) return undefined;
      const nl = all.indexOf(NL);
      if (nl < 0) return undefined;
      from = nl + 1;
      line++;
    }
    let text: string | undefined;
    const splitter = new LineSplitter(0, line, (r) => {
      if (r.line < n) return true;
      if (r.line === n && r.tooLong !== true) text = r.text;
      return false;
    }, maxLineBytes());
    if (splitter.push(all.subarray(from))) splitter.end();
    return text;
  }
}
