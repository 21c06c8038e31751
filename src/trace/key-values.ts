/**
 * Tokenizer for `key=value` event bodies, aware of double-quoted values with spaces
 * (`txt="PHASE done"`): the payload format of kprobe events and most tracepoints.
 */

/** One `key=value` pair found in a body, with the value's position. */
export interface KeyValue {
  readonly key: string;
  /** The value as printed (quotes kept). */
  readonly value: string;
  /** 0-based offset of the key in the scanned text. */
  readonly keyOffset: number;
  /** 0-based offset of the value in the scanned text. */
  readonly valueOffset: number;
}

/** The result of {@link scanKeyValues}. */
export interface KeyValueScan {
  readonly pairs: readonly KeyValue[];
  /** Offset of an opening quote that is never closed, or `null`. */
  readonly unclosedQuote: number | null;
}

const KEY = /[A-Za-z_][\w.]*(?==)/y;

/**
 * Finds every `key=value` in `text` from `from` on. A value ends at the next space,
 * or, when it starts with `"`, at the closing quote that is followed by a space or the
 * end of the text. Words that are not `key=value` are skipped.
 */
export function scanKeyValues(text: string, from = 0): KeyValueScan {
  const pairs: KeyValue[] = [];
  let pos = from;
  while (pos < text.length) {
    if (text[pos] === ' ') {
      pos++;
      continue;
    }
    KEY.lastIndex = pos;
    const key = KEY.exec(text);
    if (!key) {
      pos = nextSpace(text, pos);
      continue;
    }
    const valueOffset = pos + key[0].length + 1;
    const end = valueEnd(text, valueOffset);
    if (end === null) return { pairs, unclosedQuote: valueOffset };
    pairs.push({ key: key[0], value: text.slice(valueOffset, end), keyOffset: pos, valueOffset });
    pos = end;
  }
  return { pairs, unclosedQuote: null };
}

/** End (exclusive) of the value starting at `start`, or `null` for an unclosed quote. */
export function valueEnd(text: string, start: number): number | null {
  if (text[start] !== '"') return nextSpace(text, start);
  let q = text.indexOf('"', start + 1);
  while (q >= 0) {
    if (q + 1 === text.length || text[q + 1] === ' ') return q + 1;
    q = text.indexOf('"', q + 1);
  }
  return null;
}

function nextSpace(text: string, pos: number): number {
  const sp = text.indexOf(' ', pos);
  return sp < 0 ? text.length : sp;
}

/** The pairs of {@link scanKeyValues} as a record (last one wins), quotes removed. */
export function keyValueRecord(text: string, from = 0): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of scanKeyValues(text, from).pairs) out[p.key] = unquote(p.value);
  return out;
}

/** Strips one level of surrounding double quotes. */
export function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
