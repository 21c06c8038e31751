/**
 * The position of an OpBoundError in a trace: the Op was lifted from probe lines, and
 * its count from one of their count fields (`refs` of try_grab_folio() and
 * gup_put_folio(), `n` of unpin_user_pages(), `npages` of unpin_user_folio(), a page_ref
 * `val`). Read again on the error path only, like locateOpBound for JSONL.
 */
import { inputLines, isStdin } from '../io/open-input.ts';
import { formatIssue, makeIssue } from '../trace/issues.ts';
import type { OpBoundError } from './op-bounds.ts';
import type { ResyncBoundError } from '../check/resync.ts';

/** The fields an Op's count is lifted from, in the order they are looked for. */
const COUNT_FIELD = /(?<=\s)(refs|npages|n|nr|pages|val)=(-?(?:0x[0-9a-f]+|\d+))(?=\s|$)/gi;

/** The 0-based column of the count field of `text` holding `value` (else the first count field, else 0). */
export function countColumn(text: string, value: number): number {
  let first: number | undefined;
  for (const m of text.matchAll(COUNT_FIELD)) {
    const at = m.index + m[1]!.length + 1;
    first ??= at;
    const raw = m[2]!;
    const v = raw.startsWith('-') ? -Number(raw.slice(1)) : Number(raw);
    if (Math.abs(v) === value) return at;
  }
  return first ?? 0;
}

/**
 * Sets `e.located` to `file:line:column BAD_FIELD …` (with the line and a caret) at the
 * count field of the trace line the Op names. Stdin cannot be read twice: check keeps
 * its tail instead (InputTail, locateTraceOpBoundAt).
 */
export async function locateTraceOpBound(path: string, file: string, e: OpBoundError): Promise<void> {
  if (e.line === undefined || isStdin(path)) return;
  locateTraceOpBoundAt(await lineOf(path, e.line), file, e);
}

/** locateTraceOpBound with the text of the Op's line in hand (undefined: not found, the error keeps its line number). */
export function locateTraceOpBoundAt(text: string | undefined, file: string, e: OpBoundError): void {
  if (e.line === undefined || text === undefined) return;
  const column = countColumn(text, e.value);
  e.located = formatIssue(makeIssue({ file, line: e.line, text }, 'BAD_FIELD', column, `${e.message} (Op seq ${e.seq}, lifted from this line)`));
}

/** The text of line `n` of a file read again (undefined past its end, or over the line limit). */
async function lineOf(path: string, n: number): Promise<string | undefined> {
  let at = 0;
  for await (const text of inputLines(path)) {
    if (++at < n) continue;
    return typeof text === 'string' ? text : undefined;
  }
  return undefined;
}

/**
 * Sets `e.located` at the value of the snap (or page_ref) field a resync refused, on
 * the trace line it was read from: as for an Op over its bound, on the error path only.
 */
export async function locateResyncBound(path: string, file: string, e: ResyncBoundError): Promise<void> {
  if (e.line === undefined || e.field === undefined || isStdin(path)) return;
  locateResyncBoundAt(await lineOf(path, e.line), file, e);
}

/** locateResyncBound with the text of the value's line in hand (undefined: not found). */
export function locateResyncBoundAt(text: string | undefined, file: string, e: ResyncBoundError): void {
  if (e.line === undefined || e.field === undefined || text === undefined) return;
  const field = new RegExp(`(?:^|\\s)${e.field.replace(/\W/g, '\\$&')}=`);
  const m = field.exec(text);
  if (m === null) return;
  e.located = formatIssue(makeIssue({ file, line: e.line, text }, 'BAD_FIELD', m.index + m[0].length, e.detail));
}
