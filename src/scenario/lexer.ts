/**
 * The tokens of one `.dax` line. A scenario is line-oriented (one declaration or one
 * Op per line, like a litmus test), so the lexer works a line at a time and every
 * token keeps its 1-based column for the parser's positioned errors.
 */

/** A token kind. */
export type TokenKind = 'name' | 'number' | 'string' | 'punct' | 'json' | 'end';

/** One token. */
export interface Token {
  readonly kind: TokenKind;
  /** The token's source text (a string token: its decoded value). */
  readonly text: string;
  /** 1-based column of its first character. */
  readonly column: number;
  /** A number token's value. */
  readonly value?: number;
}

/** A lexing error at a column. */
export interface LexError {
  readonly column: number;
  readonly message: string;
  readonly expected: string;
}

/** Size suffixes: binary multiples of a byte count (`8K`, `2M`, `1G`, `1T`). */
export const SIZE_SUFFIXES: Readonly<Record<string, number>> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_.@-]/;
const PUNCT = ['->', '..', ':', '+', ','] as const;

/**
 * Splits one line into tokens. `#` starts a comment (outside a string); `{` starts a
 * raw JSON Op that runs to the end of the line (or to a comment after its closing brace
 * is not tracked: a raw line carries no comment).
 */
export function lexLine(text: string): Token[] | LexError {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') break;
    const column = i + 1;
    if (c === '{') {
      out.push({ kind: 'json', text: text.slice(i).trimEnd(), column });
      i = text.length;
      break;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return { column, message: 'unterminated string', expected: 'a closing "' };
      let value: unknown;
      try {
        value = JSON.parse(text.slice(i, j + 1));
      } catch {
        return { column, message: 'bad escape in string', expected: 'a JSON string' };
      }
      out.push({ kind: 'string', text: value as string, column });
      i = j + 1;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]+)([KMGT])?/.exec(text.slice(i))!;
      const base = Number(m[1]);
      const value = base * (m[2] ? SIZE_SUFFIXES[m[2]]! : 1);
      const end = i + m[0].length;
      if (end < text.length && NAME_CHAR.test(text[end]!) && text[end] !== '.') {
        return { column, message: `bad number ${JSON.stringify(text.slice(i, end + 1))}`, expected: 'a number: 0x… hex or decimal, with an optional K, M, G or T size suffix' };
      }
      if (!Number.isSafeInteger(value)) return { column, message: `number ${m[0]} is too large`, expected: 'a number below 2^53' };
      out.push({ kind: 'number', text: m[0], column, value });
      i = end;
      continue;
    }
    if (NAME_START.test(c)) {
      let j = i + 1;
      // a name may hold dots (dax0.0, A.1) but stops before a `..` range
      while (j < text.length && NAME_CHAR.test(text[j]!) && !(text[j] === '.' && text[j + 1] === '.')) j++;
      // a trailing `-` belongs to a following `->`
      if (text[j - 1] === '-' && text[j] === '>') j--;
      out.push({ kind: 'name', text: text.slice(i, j), column });
      i = j;
      continue;
    }
    const p = PUNCT.find((x) => text.startsWith(x, i));
    if (p) {
      out.push({ kind: 'punct', text: p, column });
      i += p.length;
      continue;
    }
    return { column, message: `unexpected character ${JSON.stringify(c)}`, expected: 'a name, a number, a "string", or one of -> .. : + ,' };
  }
  // the text before the first `#`, without trailing blanks (a regex `\s*(#.*)?$` here
  // retried every start in a run of blanks: quadratic in a line of 200,000 spaces)
  const hash = text.indexOf('#');
  out.push({ kind: 'end', text: '', column: (hash < 0 ? text : text.slice(0, hash)).trimEnd().length + 1 });
  return out;
}
