/**
 * JsonlDecoder: the per-file state of reading a JSONL stream line by line: whether
 * line 1 was a header, which tier the file is (from the header, else from the first
 * event), the previous seq, and the truncated-last-line rule. Pure: the lines come
 * from whoever reads the file.
 */
import type { Op } from './op.ts';
import type { RefEvent } from './ref-event.ts';
import { isJsonlIssue, jsonlIssue, type JsonlIssue } from './issues.ts';
import { issueAt } from './decode.ts';
import {
  decodeHeader, decodeOp, decodeRefEvent, kindOfEvent, looksLikeHeader, parseJsonObject,
  type JsonlHeader, type JsonlKind,
} from './jsonl.ts';

/** What one line decoded to. */
export type DecodedLine =
  | { readonly kind: 'header'; readonly header: JsonlHeader }
  | { readonly kind: 'op'; readonly event: Op }
  | { readonly kind: 'ref'; readonly event: RefEvent }
  | { readonly kind: 'blank' }
  | { readonly kind: 'issue'; readonly issue: JsonlIssue };

/** Where a decoder starts: mid-file (from a checkpoint) it must know the tier and the last seq. */
export interface DecoderStart {
  readonly kind?: JsonlKind;
  readonly prevSeq?: number;
  readonly header?: JsonlHeader;
}

/** Decodes the lines of one JSONL file in order. */
export class JsonlDecoder {
  /** The file name issues are reported under. */
  readonly file: string;
  /** The file's tier, once the header or the first event has fixed it. */
  kind: JsonlKind | undefined;
  /** The header, if line 1 was one. */
  header: JsonlHeader | undefined;
  /** seq of the last good event (0 before the first). */
  prevSeq: number;

  constructor(file: string, start: DecoderStart = {}) {
    this.file = file;
    this.kind = start.kind ?? start.header?.kind;
    this.header = start.header;
    this.prevSeq = start.prevSeq ?? 0;
  }

  /**
   * Decodes line `line` (1-based). `terminated` is false only for a last line with
   * no trailing newline: if that line does not parse, the file was cut mid-write.
   * Whitespace-only lines are skipped (they hold no event). `tooLong` is the
   * line-length limit when the reader found the line longer than it (and kept no text).
   */
  decode(text: string, line: number, terminated = true, tooLong?: number): DecodedLine {
    const site = { file: this.file, line };
    // a line over the length limit was not read (its text is empty): an issue just past the limit
    if (tooLong !== undefined) {
      const issue = jsonlIssue(site, 'LINE_TOO_LONG', tooLong, `line longer than ${tooLong} bytes (the limit; see --max-line-bytes): not read`, `a line of at most ${tooLong} bytes`);
      return { kind: 'issue', issue };
    }
    // an event line starts with '{': only other lines need the (allocating) blank check
    if (text.charCodeAt(0) !== 0x7b && text.trim() === '') return { kind: 'blank' };
    const json = parseJsonObject(text, site);
    if (!json.ok) {
      if (terminated || json.issue.code !== 'BAD_JSON') return { kind: 'issue', issue: json.issue };
      const issue = jsonlIssue(site, 'TRUNCATED_LINE', json.issue.column - 1, `last line is cut (no trailing newline): ${json.issue.message}`, 'a complete JSON object and a newline');
      return { kind: 'issue', issue };
    }
    const ctx = { ...site, text };
    if (looksLikeHeader(json.obj)) {
      if (line !== 1 || this.kind !== undefined) {
        const issue = issueAt(ctx, 'BAD_FIELD', 'schema', 'key', 'schema: a header is allowed only on line 1', 'an event with seq and type');
        return { kind: 'issue', issue };
      }
      const header = decodeHeader(json.obj, ctx);
      if (isJsonlIssue(header)) return { kind: 'issue', issue: header };
      this.header = header;
      this.kind = header.kind;
      return { kind: 'header', header };
    }
    const kind = this.kind ?? kindOfEvent(json.obj);
    const event = kind === 'ops' ? decodeOp(json.obj, ctx, this.prevSeq) : decodeRefEvent(json.obj, ctx, this.prevSeq);
    if (isJsonlIssue(event)) return { kind: 'issue', issue: event };
    // the first good event fixes the tier, so a later line of the other tier is UNKNOWN_TYPE
    this.kind = kind;
    this.prevSeq = event.seq;
    return kind === 'ops' ? { kind: 'op', event: event as Op } : { kind: 'ref', event: event as RefEvent };
  }
}
