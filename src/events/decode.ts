/**
 * Field validation against the schema tables: every field of an event is checked
 * for presence, type, integer-ness and enum membership, and unknown fields are
 * refused (a misspelt optional field would otherwise be silently dropped). The
 * result is built in the schema's canonical order, so parse(format(e)) equals e.
 */
import { describeFields, describeKind, MAX_FOLIO_ORDER, PFN_LIMIT, S32_MAX, S32_MIN, VMA_FIELDS, type AnyFieldSpec, type FieldKind } from './schema.ts';
import { jsonlIssue, type JsonlIssue, type JsonlIssueCode, type LineSite } from './issues.ts';
import { scanJsonLine } from './json-scan.ts';

/** A parsed JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** The line being decoded: where it is, and its raw text (for columns). */
export interface LineContext extends LineSite {
  readonly text: string;
}

const HEX = /^0x[0-9a-f]+$/i;

/** True for a plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An issue at the key or value `path` of the line (`pfn`, `vma.start`), found in
 * the raw text; at the enclosing object's `{` when the key is absent.
 */
export function issueAt(ctx: LineContext, code: JsonlIssueCode, path: string, at: 'key' | 'value', message: string, expected: string): JsonlIssue {
  const scan = scanJsonLine(ctx.text);
  let offset = 0;
  if (scan.ok) {
    const pos = scan.keys.get(path);
    if (pos) offset = at === 'key' ? pos.key : pos.value;
    else offset = scan.objects.get(path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '') ?? 0;
  }
  return jsonlIssue(ctx, code, offset, message, expected);
}

/** Checks one value against its kind; returns the (normalised) value or undefined. */
export function checkKind(kind: FieldKind, v: unknown): unknown {
  if (typeof kind === 'object') return typeof v === 'string' && kind.oneOf.includes(v) ? v : undefined;
  switch (kind) {
    case 'uint':
      return Number.isSafeInteger(v) && (v as number) >= 0 ? v : undefined;
    case 'posint':
      return Number.isSafeInteger(v) && (v as number) >= 1 ? v : undefined;
    case 'int':
      return Number.isSafeInteger(v) ? v : undefined;
    case 'pfn':
      return belowPfnLimit(nonNegative(v));
    case 'addr':
      return nonNegative(v);
    case 'pfn-or-none':
      return v === -1 ? v : belowPfnLimit(nonNegative(v));
    case 's32':
      return Number.isInteger(v) && (v as number) >= S32_MIN && (v as number) <= S32_MAX ? v : undefined;
    case 'order':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_FOLIO_ORDER ? v : undefined;
    case 'folio-pages':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2 ** MAX_FOLIO_ORDER ? v : undefined;
    case 'pfn-count':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= PFN_LIMIT ? v : undefined;
    case 'bool':
      return typeof v === 'boolean' ? v : undefined;
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'string-or-null':
      return typeof v === 'string' || v === null ? v : undefined;
    case 'vma':
      return isObject(v) ? v : undefined;
  }
}

function belowPfnLimit(n: number | undefined): number | undefined {
  return n !== undefined && n < PFN_LIMIT ? n : undefined;
}

/** A pfn or address: a non-negative safe integer, or a `0x…` string of one. */
function nonNegative(v: unknown): number | undefined {
  if (Number.isSafeInteger(v) && (v as number) >= 0) return v as number;
  if (typeof v === 'string' && HEX.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

/** A field table prepared once for the hot path: entries in order, and the allowed keys. */
interface Compiled {
  readonly entries: readonly (readonly [key: string, spec: AnyFieldSpec])[];
  readonly allowed: ReadonlySet<string>;
}

const compiled = new WeakMap<object, Compiled>();

function compile(fields: Readonly<Record<string, AnyFieldSpec>>, skip: readonly string[]): Compiled {
  let c = compiled.get(fields);
  if (!c) {
    c = { entries: Object.entries(fields), allowed: new Set([...Object.keys(fields), ...skip]) };
    compiled.set(fields, c);
  }
  return c;
}

/**
 * Validates the members of `obj` (all but `skip`) against `fields`, in schema
 * order, into `out`. `prefix` is the path of a nested object (`vma.`); `owner`
 * names the shape in the unknown-field message. (`skip` must be the same for a
 * given `fields` table: it is compiled in with it.)
 */
export function decodeFields(
  ctx: LineContext,
  obj: JsonObject,
  fields: Readonly<Record<string, AnyFieldSpec>>,
  out: Record<string, unknown>,
  opts: { readonly prefix: string; readonly owner: string; readonly skip: readonly string[] },
): JsonlIssue | undefined {
  const { entries, allowed } = compile(fields, opts.skip);
  for (const key in obj) {
    if (allowed.has(key)) continue;
    const shape = opts.prefix === '' ? describeFields(fields) : describeVma();
    return issueAt(ctx, 'BAD_FIELD', opts.prefix + key, 'key', `${opts.prefix}${key}: unexpected field (${opts.owner} has: ${shape})`, shape);
  }
  for (const [key, spec] of entries) {
    const raw = obj[key];
    if (raw === undefined) {
      if (spec.optional) continue;
      const expected = describeKind(spec.kind);
      return issueAt(ctx, 'BAD_FIELD', opts.prefix + key, 'value', `${opts.prefix}${key}: missing, expected ${expected}`, expected);
    }
    const value = checkKind(spec.kind, raw);
    if (value === undefined) {
      const expected = describeKind(spec.kind);
      return issueAt(ctx, 'BAD_FIELD', opts.prefix + key, 'value', `${opts.prefix}${key}: expected ${expected}`, expected);
    }
    if (spec.kind === 'vma') {
      const vma: Record<string, unknown> = {};
      const bad = decodeFields(ctx, value as JsonObject, VMA_FIELDS, vma, { prefix: `${opts.prefix}${key}.`, owner: opts.prefix + key, skip: [] });
      if (bad) return bad;
      out[key] = vma;
    } else {
      // -0 is an integer to JSON.parse but would not survive format → parse as itself
      out[key] = value === 0 ? 0 : value;
    }
  }
  return undefined;
}

function describeVma(): string {
  return Object.entries(VMA_FIELDS)
    .map(([k, s]) => ('optional' in s ? `${k}?` : k))
    .join(', ');
}
