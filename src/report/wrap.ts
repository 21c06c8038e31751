/**
 * Wrapping for text that is pasted into mails: lines of at most 80 columns, broken at
 * spaces, continuation lines indented under the first. A word longer than the width
 * (a long path of kernel functions has spaces; a quoted trace line is passed through
 * by the caller) stands on its own line rather than being cut.
 */

/** Mail width. */
export const MAIL_COLUMNS = 80;

/** Columns of a string: code points (a surrogate pair is one), as `[...s].length` counts them. */
function columns(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // a high surrogate followed by a low one is a single code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Wraps one paragraph: `first` prefixes the first line, `rest` the others. */
export function wrap(text: string, first = '', rest = first, width = MAIL_COLUMNS): string[] {
  const words = text.split(/ +/).filter((w) => w !== '');
  const out: string[] = [];
  let line = first;
  // the line's width kept as it grows (measuring the whole line per word was quadratic)
  let cols = columns(first);
  const restCols = columns(rest);
  let empty = true;
  for (const w of words) {
    const wc = columns(w);
    if (!empty && cols + 1 + wc > width) {
      out.push(line);
      line = rest + w;
      cols = restCols + wc;
    } else if (empty) {
      line += w;
      cols += wc;
    } else {
      line = `${line} ${w}`;
      cols += 1 + wc;
    }
    empty = false;
  }
  out.push(line);
  return out;
}
