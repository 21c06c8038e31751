/**
 * Positioned, collected parse issues (after eemeli/yaml's `YAMLParseError` and
 * `prettifyError`): the trace reader never throws on bad input, it records an issue
 * and keeps going.
 */

/**
 * What went wrong.
 *
 * - `BAD_LINE`: not an ftrace event line, header line or known meta line.
 * - `BAD_FIELD`: a field of a known event is missing, malformed or not of its declared type.
 * - `UNKNOWN_EVENT`: an event the reader has no typed parser (or probe definition) for.
 * - `TRUNCATED_LINE`: a line ends in the middle of a field (unclosed quote, missing
 *   trailing probe fields, a cut last line, no `KTRACE-END`).
 * - `BAD_HEADER`: a malformed `KTRACE-BEGIN` / `#` header line.
 * - `NON_MONOTONIC_TS`: a timestamp lower than the previous event's.
 * - `LOST_EVENTS`: the ring buffer dropped events here (`CPU:N [LOST n EVENTS]`);
 *   a replay across this point cannot be exact.
 * - `LINE_TOO_LONG`: the line is longer than the line-length limit (not read).
 */
export type ParseIssueCode =
  | 'BAD_LINE'
  | 'BAD_FIELD'
  | 'UNKNOWN_EVENT'
  | 'TRUNCATED_LINE'
  | 'BAD_HEADER'
  | 'NON_MONOTONIC_TS'
  | 'LOST_EVENTS'
  | 'LINE_TOO_LONG';

/** How bad an issue is: `error` means the line's data is lost or untrustworthy. */
export type ParseIssueSeverity = 'error' | 'warning';

/** One problem found while reading a trace, positioned at a 1-based line and column. */
export interface ParseIssue {
  readonly code: ParseIssueCode;
  readonly severity: ParseIssueSeverity;
  readonly file: string;
  /** 1-based line number in the input. */
  readonly line: number;
  /** 1-based column of the offending character (1 when the whole line is at fault). */
  readonly column: number;
  /** The full text of the offending line. */
  readonly text: string;
  readonly message: string;
}

/** Width of the source excerpt printed by {@link formatIssue} for long lines. */
const EXCERPT_WIDTH = 100;

/**
 * Renders an issue as `file:line:column CODE message`, then the line and a caret under
 * the column. Long lines (snap lines run to thousands of characters) are cut to a window
 * around the column, with `…` marking the cuts.
 */
export function formatIssue(issue: ParseIssue): string {
  const head = `${issue.file}:${issue.line}:${issue.column} ${issue.code} ${issue.message}`;
  const { excerpt, caretAt } = excerptAround(issue.text, issue.column - 1);
  return `${head}\n${excerpt}\n${' '.repeat(caretAt)}^`;
}

/** Cuts `text` to at most {@link EXCERPT_WIDTH} characters around the 0-based `index`. */
function excerptAround(text: string, index: number): { excerpt: string; caretAt: number } {
  const at = Math.max(0, Math.min(index, text.length));
  if (text.length <= EXCERPT_WIDTH) return { excerpt: text, caretAt: at };
  const half = Math.floor(EXCERPT_WIDTH / 2);
  const start = Math.max(0, Math.min(at - half, text.length - EXCERPT_WIDTH));
  const end = Math.min(text.length, start + EXCERPT_WIDTH);
  const prefix = start > 0 ? '…' : '';
  const suffix = end < text.length ? '…' : '';
  return { excerpt: prefix + text.slice(start, end) + suffix, caretAt: at - start + prefix.length };
}

/** Default severity of each code; {@link makeIssue} callers may override it. */
export const DEFAULT_SEVERITY: Readonly<Record<ParseIssueCode, ParseIssueSeverity>> = {
  BAD_LINE: 'error',
  BAD_FIELD: 'error',
  UNKNOWN_EVENT: 'warning',
  TRUNCATED_LINE: 'error',
  BAD_HEADER: 'warning',
  NON_MONOTONIC_TS: 'warning',
  LOST_EVENTS: 'warning',
  LINE_TOO_LONG: 'error',
};

/** Where an issue is: the file, the 1-based line number and the line's text. */
export interface IssueSite {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/**
 * Builds a {@link ParseIssue} at `site`, 0-based `offset` into the line (stored 1-based),
 * with the code's default severity unless `severity` is given.
 */
export function makeIssue(
  site: IssueSite,
  code: ParseIssueCode,
  offset: number,
  message: string,
  severity: ParseIssueSeverity = DEFAULT_SEVERITY[code],
): ParseIssue {
  return { code, severity, file: site.file, line: site.line, column: offset + 1, text: site.text, message };
}
