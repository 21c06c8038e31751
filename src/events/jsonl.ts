/**
 * JSONL for both event tiers: one event per line, canonical key order on write,
 * every field validated on read. A file may open with a header line naming the
 * schema version, the tier and the profile it was produced under; writers always
 * write one. Lines are parsed one at a time so a file of any size streams through.
 */
import type { Op, OpType } from './op.ts';
import type { RefEvent, RefEventType } from './ref-event.ts';
import { describeKind, OP_SCHEMA, PFN_LIMIT, REF_EVENT_SCHEMA, SCHEMA_VERSION, type AnySchema } from './schema.ts';
import { jsonlIssue, type JsonlIssue, type LineSite } from './issues.ts';
import { scanJsonLine } from './json-scan.ts';
import { decodeFields, isObject, issueAt, type JsonObject, type LineContext } from './decode.ts';

/** The tier of a JSONL file. */
export type JsonlKind = 'ops' | 'refevents';

/** The optional first line of a JSONL file. */
export interface JsonlHeader {
  readonly schema: typeof SCHEMA_VERSION;
  readonly kind: JsonlKind;
  /** `<family>@<version>` the stream was produced under, or null. */
  readonly profile: string | null;
  /** The kernel config options the profile was resolved with. */
  readonly kconfig?: Readonly<Record<string, string>>;
  /** What the stream is (a scenario's one-line summary). */
  readonly description?: string;
}

const OP_TYPE_LIST = Object.keys(OP_SCHEMA).join(', ');
const REF_TYPE_LIST = Object.keys(REF_EVENT_SCHEMA).join(', ');
const HEADER_SHAPE = `{"schema":"${SCHEMA_VERSION}","kind":"ops"|"refevents","profile":string|null,"kconfig"?:{…},"description"?:string}`;

/**
 * Parses the JSON of a line into an object, or a BAD_JSON issue positioned at the
 * first syntax error (the raw text is rescanned only when JSON.parse fails).
 */
export function parseJsonObject(text: string, site: LineSite): JsonResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    const scan = scanJsonLine(text);
    const offset = scan.ok ? 0 : scan.offset;
    const expected = scan.ok ? 'one JSON object' : scan.expected;
    return { ok: false, issue: jsonlIssue(site, 'BAD_JSON', offset, `invalid JSON: expected ${expected}`, expected) };
  }
  if (!isObject(v)) {
    const offset = text.length - text.trimStart().length;
    return { ok: false, issue: jsonlIssue(site, 'BAD_JSON', offset, 'expected one JSON object per line', 'one JSON object') };
  }
  return { ok: true, obj: v };
}

/** A line's JSON: the object, or the BAD_JSON issue. */
export type JsonResult = { readonly ok: true; readonly obj: JsonObject } | { readonly ok: false; readonly issue: JsonlIssue };

function decodeEvent(
  schema: AnySchema,
  tier: string,
  typeList: string,
  ctx: LineContext,
  obj: JsonObject,
  prevSeq: number,
): Record<string, unknown> | JsonlIssue {
  const seq = obj.seq;
  if (!Number.isSafeInteger(seq)) {
    const msg = seq === undefined ? 'seq: missing, expected a positive integer' : 'seq: expected a positive integer';
    return issueAt(ctx, 'BAD_FIELD', 'seq', 'value', msg, 'a positive integer');
  }
  const type = obj.type;
  if (typeof type !== 'string' || !Object.hasOwn(schema, type)) {
    const expected = `one of ${typeList}`;
    if (type === undefined) return issueAt(ctx, 'BAD_FIELD', 'type', 'value', `type: missing, expected ${tier} type`, expected);
    return issueAt(ctx, 'UNKNOWN_TYPE', 'type', 'value', `type: ${JSON.stringify(type)} is not ${tier} type (expected ${expected})`, expected);
  }
  const out: Record<string, unknown> = { seq, type };
  const bad = decodeFields(ctx, obj, schema[type]!, out, { prefix: '', owner: type, skip: ['seq', 'type'] });
  if (bad) return bad;
  // a range's pages end below 2^52 too: no struct page exists past the widest physical address
  if (schema[type]!['nr']?.kind === 'pfn-count' && (out.pfn as number) + (out.nr as number) > PFN_LIMIT) {
    const expected = describeKind('pfn-count');
    return issueAt(ctx, 'BAD_FIELD', 'nr', 'value', `nr: pfn 0x${(out.pfn as number).toString(16)} + nr ${out.nr as number} pages run past 2^52, expected ${expected}`, expected);
  }
  // seq is checked last so that a line that is wrong in several ways reports its shape first
  if ((seq as number) < 1 || (seq as number) <= prevSeq) {
    const expected = prevSeq > 0 ? `an integer greater than ${prevSeq} (the previous seq)` : 'a positive integer (seq is 1-based)';
    return issueAt(ctx, 'BAD_SEQ', 'seq', 'value', `seq: expected ${expected}, got ${seq as number}`, expected);
  }
  return out;
}

/**
 * Parses and validates one Op line. `prevSeq` is the seq of the previous event
 * (0 for the first), for the increasing-seq check.
 */
export function parseOpLine(text: string, site: LineSite, prevSeq = 0): Op | JsonlIssue {
  const json = parseJsonObject(text, site);
  if (!json.ok) return json.issue;
  return decodeOp(json.obj, { ...site, text }, prevSeq);
}

/** Parses and validates one RefEvent line (see parseOpLine). */
export function parseRefEventLine(text: string, site: LineSite, prevSeq = 0): RefEvent | JsonlIssue {
  const json = parseJsonObject(text, site);
  if (!json.ok) return json.issue;
  return decodeRefEvent(json.obj, { ...site, text }, prevSeq);
}

/** Validates an already parsed object as an Op. */
export function decodeOp(obj: JsonObject, ctx: LineContext, prevSeq = 0): Op | JsonlIssue {
  return decodeEvent(OP_SCHEMA, 'an Op', OP_TYPE_LIST, ctx, obj, prevSeq) as Op | JsonlIssue;
}

/** Validates an already parsed object as a RefEvent. */
export function decodeRefEvent(obj: JsonObject, ctx: LineContext, prevSeq = 0): RefEvent | JsonlIssue {
  return decodeEvent(REF_EVENT_SCHEMA, 'a RefEvent', REF_TYPE_LIST, ctx, obj, prevSeq) as RefEvent | JsonlIssue;
}

/** True when a parsed line is a header (it has `schema` and no `type`). */
export function looksLikeHeader(obj: JsonObject): boolean {
  return Object.hasOwn(obj, 'schema') && !Object.hasOwn(obj, 'type');
}

/** Validates a parsed header object. */
export function decodeHeader(obj: JsonObject, ctx: LineContext): JsonlHeader | JsonlIssue {
  const bad = (path: string, at: 'key' | 'value', message: string): JsonlIssue => issueAt(ctx, 'BAD_FIELD', path, at, message, HEADER_SHAPE);
  for (const key of Object.keys(obj)) {
    if (!['schema', 'kind', 'profile', 'kconfig', 'description'].includes(key)) return bad(key, 'key', `${key}: unexpected header field (expected ${HEADER_SHAPE})`);
  }
  if (obj.schema !== SCHEMA_VERSION) return bad('schema', 'value', `schema: expected "${SCHEMA_VERSION}"`);
  if (obj.kind !== 'ops' && obj.kind !== 'refevents') return bad('kind', 'value', 'kind: expected "ops" or "refevents"');
  const profile = obj.profile ?? null;
  if (profile !== null && typeof profile !== 'string') return bad('profile', 'value', 'profile: expected "<family>@<version>" or null');
  const kconfig = obj.kconfig;
  if (kconfig !== undefined && (!isObject(kconfig) || Object.values(kconfig).some((v) => typeof v !== 'string'))) {
    return bad('kconfig', 'value', 'kconfig: expected an object of CONFIG_NAME: "value" strings');
  }
  const description = obj.description;
  if (description !== undefined && typeof description !== 'string') return bad('description', 'value', 'description: expected a string');
  return {
    schema: SCHEMA_VERSION, kind: obj.kind, profile,
    ...(kconfig !== undefined ? { kconfig: { ...(kconfig as Record<string, string>) } } : {}),
    ...(description !== undefined ? { description } : {}),
  };
}

/** The tier a first event belongs to: an Op type (or an `exit` naming an mm), else RefEvent. */
export function kindOfEvent(obj: JsonObject): JsonlKind {
  const type = obj.type;
  if (typeof type !== 'string') return 'refevents';
  // `exit` is both an Op (exit_mmap of an mm) and a RefEvent (a function returns)
  if (type === 'exit') return Object.hasOwn(obj, 'mm') && !Object.hasOwn(obj, 'fn') ? 'ops' : 'refevents';
  return Object.hasOwn(OP_SCHEMA, type) && !Object.hasOwn(REF_EVENT_SCHEMA, type) ? 'ops' : 'refevents';
}

function formatWith(schema: AnySchema, e: { readonly seq: number; readonly type: string }): string {
  const src = e as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { seq: e.seq, type: e.type };
  for (const [key, spec] of Object.entries(schema[e.type] ?? {})) {
    const v = src[key];
    if (v === undefined) continue;
    if (spec.kind === 'vma' && isObject(v)) out[key] = canonicalVma(v);
    else out[key] = v;
  }
  return JSON.stringify(out);
}

function canonicalVma(v: JsonObject): JsonObject {
  const { start, end, shared, file, pgoff } = v;
  return { start, end, shared, ...(file !== undefined ? { file } : {}), ...(pgoff !== undefined ? { pgoff } : {}) };
}

/** One Op as canonical JSON (seq, type, then the schema's field order; no newline). */
export function formatOp(op: Op): string {
  return formatWith(OP_SCHEMA, op);
}

/** One RefEvent as canonical JSON (see formatOp). */
export function formatRefEvent(e: RefEvent): string {
  return formatWith(REF_EVENT_SCHEMA, e);
}

/** The header line (no newline). */
export function formatHeader(h: Omit<JsonlHeader, 'schema'>): string {
  const out: Record<string, unknown> = { schema: SCHEMA_VERSION, kind: h.kind, profile: h.profile };
  if (h.kconfig !== undefined) out.kconfig = h.kconfig;
  if (h.description !== undefined) out.description = h.description;
  return JSON.stringify(out);
}

/** A whole JSONL document: header, then one event per line, newline-terminated. */
export function formatJsonl(h: Omit<JsonlHeader, 'schema'>, events: Iterable<Op> | Iterable<RefEvent>): string {
  const fmt = h.kind === 'ops' ? (e: unknown) => formatOp(e as Op) : (e: unknown) => formatRefEvent(e as RefEvent);
  const lines = [formatHeader(h)];
  for (const e of events as Iterable<unknown>) lines.push(fmt(e));
  return `${lines.join('\n')}\n`;
}

/** The Op type strings (for messages and generators). */
export const JSONL_OP_TYPES = Object.keys(OP_SCHEMA) as OpType[];
/** The RefEvent type strings (for messages and generators). */
export const JSONL_REF_EVENT_TYPES = Object.keys(REF_EVENT_SCHEMA) as RefEventType[];
