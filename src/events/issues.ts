/**
 * Positioned issues of the JSONL reader (after eemeli/yaml's `ErrorCode` and
 * `linePos`): a bad line is a value naming the file, the 1-based line and column,
 * and the shape that was expected there, never an exception.
 */

/**
 * What is wrong with a JSONL line.
 *
 * - `BAD_JSON`: the line is not one JSON object.
 * - `BAD_FIELD`: a field is missing, unexpected, duplicated or not of its declared type.
 * - `UNKNOWN_TYPE`: `type` names no event of the file's tier.
 * - `TRUNCATED_LINE`: the last line has no trailing newline and does not parse (the
 *   file was cut while being written).
 * - `BAD_SEQ`: `seq` is not 1-based or not greater than the previous event's.
 * - `LINE_TOO_LONG`: the line is longer than the line-length limit (not read).
 */
export type JsonlIssueCode = 'BAD_JSON' | 'BAD_FIELD' | 'UNKNOWN_TYPE' | 'TRUNCATED_LINE' | 'BAD_SEQ' | 'LINE_TOO_LONG';

/** Every JsonlIssueCode. */
export const JSONL_ISSUE_CODES: readonly JsonlIssueCode[] = ['BAD_JSON', 'BAD_FIELD', 'UNKNOWN_TYPE', 'TRUNCATED_LINE', 'BAD_SEQ', 'LINE_TOO_LONG'];

/** One bad line. */
export interface JsonlIssue {
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column of the offending key or value (1 when the whole line is at fault). */
  readonly column: number;
  readonly code: JsonlIssueCode;
  /** `<field>: expected <shape>` or a sentence saying what the line should be. */
  readonly message: string;
  /** The expected shape alone (`a non-negative integer`, `one of pte, pmd, pud`, …). */
  readonly expected: string;
}

/** Where a line is: the file name to print and its 1-based line number. */
export interface LineSite {
  readonly file: string;
  readonly line: number;
}

/** Renders an issue as `file:line:column CODE message` (the form the CLI prints). */
export function formatJsonlIssue(issue: JsonlIssue): string {
  return `${issue.file}:${issue.line}:${issue.column} ${issue.code} ${issue.message}`;
}

/** Builds an issue at a 0-based character offset of the line (stored 1-based). */
export function jsonlIssue(site: LineSite, code: JsonlIssueCode, offset: number, message: string, expected: string): JsonlIssue {
  return { file: site.file, line: site.line, column: offset + 1, code, message, expected };
}

/** True when `x` is a JsonlIssue rather than a parsed value. */
export function isJsonlIssue(x: unknown): x is JsonlIssue {
  return typeof x === 'object' && x !== null && 'code' in x && 'expected' in x && 'column' in x && 'file' in x;
}
