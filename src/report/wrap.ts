/**
 * Wrapping for text that is pasted into mails: lines of at most 80 columns, broken at
 * spaces, continuation lines indented under the first. A word longer than the width
 * (a long path of kernel functions has spaces; a quoted trace line is passed through
 * by the caller) stands on its own line rather than being cut.
 */

/** Mail width. */
export const MAIL_COLUMNS = 80;

/** Wraps one paragraph: `first` prefixes the first line, `rest` the others. */
export function wrap(text: string, first = '', rest = first, width = MAIL_COLUMNS): string[] {
  const words = text.split(/ +/).filter((w) => w !== '');
  const out: string[] = [];
  let line = first;
  let empty = true;
  for (const w of words) {
    if (!empty && [...line].length + 1 + [...w].length > width) {
      out.push(line);
      line = rest + w;
    } else line = empty ? line + w : `${line} ${w}`;
    empty = false;
  }
  out.push(line);
  return out;
}
