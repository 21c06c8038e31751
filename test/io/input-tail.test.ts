/**
 * InputTail: the last bytes of stdin, from which an error raised after its line was read
 * quotes that line; bounded by a byte budget, chunks splitting lines anywhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InputTail } from '../../src/io/input-tail.ts';
import { maxLineBytes, setMaxLineBytes } from '../../src/io/line-limit.ts';

/** A tail fed `text` in chunks of `size` bytes. */
function fed(text: string, size: number, budget?: number): InputTail {
  const tail = new InputTail(budget);
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) tail.push(bytes.subarray(i, i + size));
  return tail;
}

const TEXT = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'].join('\n') + '\n';

describe('InputTail', () => {
  const limit = maxLineBytes();
  afterEach(() => setMaxLineBytes(limit));

  it('with room for everything: every line, whatever the chunk size', () => {
    for (const size of [1, 2, 3, 7, 64]) {
      const tail = fed(TEXT, size);
      expect([1, 2, 3, 4, 5, 6].map((n) => tail.lineText(n))).toEqual(['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta']);
      // no line 0; after the last newline there is no line 7 (as a file's lines end there)
      expect([tail.lineText(0), tail.lineText(7), tail.lineText(8)]).toEqual([undefined, undefined, undefined]);
    }
  });

  it('past the budget: the oldest chunks are dropped, and a line whose start was dropped is not found', () => {
    // 36 bytes in chunks of 4; a budget of 13 keeps the last four chunks, from byte 20:
    // "ta\nepsilon\nzeta\n", the end of line 4 (delta), then lines 5 and 6 whole
    const tail = fed(TEXT, 4, 13);
    expect([1, 2, 3, 4].map((n) => tail.lineText(n))).toEqual([undefined, undefined, undefined, undefined]);
    expect([tail.lineText(5), tail.lineText(6)]).toEqual(['epsilon', 'zeta']);
  });

  it('CRLF lines lose their CR; a last line without a newline is found', () => {
    const tail = fed('one\r\ntwo\r\nthree', 3);
    expect([tail.lineText(1), tail.lineText(2), tail.lineText(3)]).toEqual(['one', 'two', 'three']);
  });

  it('a line over the line limit is not found (its error keeps the line number alone)', () => {
    setMaxLineBytes(16);
    const tail = fed(`short\n${'x'.repeat(40)}\nafter\n`, 5);
    expect([tail.lineText(1), tail.lineText(2), tail.lineText(3)]).toEqual(['short', undefined, 'after']);
  });

  it('keeps copies: a reader reusing its buffer does not change what is held', () => {
    const tail = new InputTail();
    const buf = Buffer.from('first\n');
    tail.push(buf);
    buf.write('XXXXX\n');
    expect(tail.lineText(1)).toBe('first');
  });
});
