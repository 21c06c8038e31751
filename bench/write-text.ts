/**
 * Buffered text output for the generators: lines are joined into ~4 MiB strings and
 * written with back-pressure, so a 10 M-line file is written in constant memory.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

/** Appends lines to a file. */
export class TextSink {
  private readonly out: WriteStream;
  private parts: string[] = [];
  private size = 0;

  constructor(path: string) {
    this.out = createWriteStream(path);
  }

  /** Adds one line (without its newline). */
  async line(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length + 1;
    if (this.size >= 4 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = `${this.parts.join('\n')}\n`;
    this.parts = [];
    this.size = 0;
    if (!this.out.write(chunk)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }

  /** Flushes and closes. */
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}
