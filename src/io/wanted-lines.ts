/**
 * The text of some lines of a file, read in one streamed pass that keeps only those
 * lines: what a report quotes under its mismatches, without holding the whole trace
 * (a 3 M-line trace split into lines is gigabytes of strings). Lines are numbered from
 * 1 and split at `\n` only, as `readFileSync(path, 'utf8').split('\n')` numbers them
 * (a line's UTF-8 decodes the same alone, `\n` never being part of a multi-byte
 * sequence).
 */
import { createReadStream } from 'node:fs';

/** The wanted lines of the file at `path` by number (those past its end are absent). */
export async function readWantedLines(path: string, wanted: ReadonlySet<number>): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  if (wanted.size === 0) return found;
  let last = 0;
  for (const w of wanted) if (w > last) last = w;
  let line = 1;
  // the bytes of the current line so far, only when it is wanted
  let parts: Buffer[] = [];
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        const end = nl < 0 ? chunk.length : nl;
        // a copy: the stream's buffers are not ours to keep
        if (wanted.has(line)) parts.push(Buffer.from(chunk.subarray(start, end)));
        if (nl < 0) break;
        if (wanted.has(line)) found.set(line, Buffer.concat(parts).toString('utf8'));
        parts = [];
        line++;
        start = nl + 1;
        if (line > last) return found;
      }
    }
    // the last line, without a newline after it
    if (wanted.has(line)) found.set(line, Buffer.concat(parts).toString('utf8'));
    return found;
  } finally {
    stream.destroy();
  }
}
