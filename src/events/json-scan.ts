/**
 * A small JSON recognizer used only when a line is bad: JSON.parse says *that* a
 * line is wrong but not reliably *where* (V8's messages vary by version), and it
 * forgets where keys were. This scan finds the first syntax error's offset, or the
 * offsets of every object key and value, so an issue can point at its column.
 * The hot path never runs it.
 */

/** Offsets (0-based) of one key and its value. */
export interface KeyPosition {
  readonly key: number;
  readonly value: number;
}

/** A line that is valid JSON: where each key (by dotted path) and each object begins. */
export interface ScanOk {
  readonly ok: true;
  /** `pfn`, `vma.start`, …: positions of object members, by path. */
  readonly keys: ReadonlyMap<string, KeyPosition>;
  /** Offset of each object's `{` by path (`''` is the root). */
  readonly objects: ReadonlyMap<string, number>;
}

/** A line that is not valid JSON: the first offending offset and what was expected there. */
export interface ScanError {
  readonly ok: false;
  readonly offset: number;
  readonly expected: string;
}

/** Unwinds the recursive descent at the first error (caught in scanJsonLine). */
class Stop extends Error {
  readonly offset: number;
  readonly expected: string;
  constructor(offset: number, expected: string) {
    super(expected);
    this.offset = offset;
    this.expected = expected;
  }
}

/**
 * Deepest nesting the scan follows. No event nests deeper than 2 (an Op's `vma`), and
 * the scan is a recursive descent: past this depth a line is an error at the bracket
 * that goes too deep, not a stack overflow.
 */
export const MAX_JSON_DEPTH = 64;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/** Scans one line of JSON text. */
export function scanJsonLine(text: string): ScanOk | ScanError {
  const keys = new Map<string, KeyPosition>();
  const objects = new Map<string, number>();
  let i = 0;
  let depth = 0;

  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const stop = (expected: string): never => {
    throw new Stop(i, expected);
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) stop('a closing \'"\'');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) stop('no control characters inside a string');
      if (c === 0x5c) {
        const e = text[i + 1];
        i++; // an error inside an escape points past the backslash
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) stop('four hex digits after \\u');
          i += 5;
          continue;
        }
        if (e === undefined || !ESCAPES.has(e)) stop('an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX');
        i++;
        continue;
      }
      i++;
    }
    i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else stop('a JSON value');
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') return object(path);
    if (c === '[') return array(path);
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    NUMBER.lastIndex = i;
    if (c !== undefined && NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    stop('a JSON value');
  };
  const nest = (): void => {
    if (++depth > MAX_JSON_DEPTH) stop(`at most ${MAX_JSON_DEPTH} levels of nested objects and arrays`);
  };
  const object = (path: string): void => {
    nest();
    objects.set(path, i);
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      depth--;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') stop('a "key" string');
      const keyAt = i;
      string();
      const name = JSON.parse(text.slice(keyAt, i)) as string;
      ws();
      if (text[i] !== ':') stop("':' after a key");
      i++;
      ws();
      const full = path === '' ? name : `${path}.${name}`;
      keys.set(full, { key: keyAt, value: i });
      value(full);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        depth--;
        return;
      }
      stop("',' or '}' after a value");
    }
  };
  const array = (path: string): void => {
    nest();
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      depth--;
      return;
    }
    for (let n = 0; ; n++) {
      value(`${path}.${n}`);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        depth--;
        return;
      }
      stop("',' or ']' after a value");
    }
  };

  try {
    value('');
    ws();
    if (i < text.length) stop('the end of the line after one JSON value');
    return { ok: true, keys, objects };
  } catch (e) {
    if (e instanceof Stop) return { ok: false, offset: Math.min(e.offset, text.length), expected: e.expected };
    throw e;
  }
}
