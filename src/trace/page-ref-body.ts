/**
 * page_ref tracepoint bodies (include/trace/events/page_ref.h, spec §9.1):
 *
 * ```
 * pfn=0x%lx flags=%s count=%d mapcount=%d mapping=%p mt=%d val=%d [ret=%d]
 * ```
 *
 * tracefs prints `flags` as names (`reserved|head`) and `mapping` hashed
 * (`0000000062079d63`); trace-cmd prints `flags` as hex (`0x2040`) and the real pointer.
 */
import { reportAt, type BodyInput } from './body-context.ts';
import { parseFlagText } from './flag-set.ts';
import { scanKeyValues, type KeyValue } from './key-values.ts';
import { pageRefRecord } from './record-build.ts';
import type { PageRefOp, PageRefRecord } from './record-types.ts';

/** The seven page_ref events, by full event name. */
export const PAGE_REF_OPS: Readonly<Record<string, PageRefOp>> = {
  page_ref_set: 'set',
  page_ref_mod: 'mod',
  page_ref_mod_and_test: 'mod_and_test',
  page_ref_mod_and_return: 'mod_and_return',
  page_ref_mod_unless: 'mod_unless',
  page_ref_freeze: 'freeze',
  page_ref_unfreeze: 'unfreeze',
};

/** Events of the `page_ref_mod_and_test_template` class, which print `ret=`. */
const WITH_RET: ReadonlySet<PageRefOp> = new Set(['mod_and_test', 'mod_and_return', 'mod_unless', 'freeze']);

const INT = /^-?\d+$/;

/**
 * Bounds of the printed values: include/trace/events/page_ref.h prints count, mapcount,
 * mt, val and ret with `%d` from `int` fields, and a pfn is below 2^52 (it fits the 52
 * bits of the widest physical address, and stays exact as a JavaScript number).
 */
const S32_MIN = -(2 ** 31);
const S32_MAX = 2 ** 31 - 1;
const PFN_LIMIT = 2 ** 52;

function inS32(text: string | undefined): boolean {
  if (text === undefined) return true;
  const n = Number(text);
  return n >= S32_MIN && n <= S32_MAX;
}

/** True when every number of a CANONICAL match is in its field's range. */
function canonicalInRange(m: RegExpExecArray): boolean {
  return Number.parseInt(m[1] ?? '', 16) < PFN_LIMIT && inS32(m[3]) && inS32(m[4]) && inS32(m[6]) && inS32(m[7]) && inS32(m[8]);
}
/** The v5.x–v7.x format exactly: one regex instead of a key/value scan for the common case. */
const CANONICAL =
  /^pfn=0x([0-9a-f]+) flags=(\S*) count=(-?\d+) mapcount=(-?\d+) mapping=(\S+) mt=(-?\d+) val=(-?\d+)(?: ret=(-?\d+))?$/;

/** The record from a {@link CANONICAL} match. */
function canonical(input: BodyInput, op: PageRefOp, m: RegExpExecArray): PageRefRecord {
  return pageRefRecord(input.base, {
    op,
    pfn: Number.parseInt(m[1] ?? '', 16),
    flags: parseFlagText(m[2] ?? '', input.ctx.pageFlagTable),
    count: Number(m[3]),
    mapcount: Number(m[4]),
    mapping: m[5] ?? null,
    mt: Number(m[6]),
    val: Number(m[7]),
    ret: m[8] === undefined ? null : Number(m[8]),
  });
}
const HEX = /^0x[0-9a-f]+$/i;

/**
 * Parses a page_ref body. Returns `null` (after reporting BAD_FIELD) when `pfn`,
 * `count` or `val` is missing or malformed, so a typed record is always complete.
 */
export function parsePageRefBody(input: BodyInput, op: PageRefOp): PageRefRecord | null {
  const body = input.base.body;
  const fast = CANONICAL.exec(body);
  // out of range: the slow path below reports the field at its column
  if (fast !== null && (fast[8] !== undefined) === WITH_RET.has(op) && canonicalInRange(fast)) return canonical(input, op, fast);
  const scan = scanKeyValues(body);
  const byKey = new Map<string, KeyValue>(scan.pairs.map((p) => [p.key, p]));
  // `flags=` may be empty (no flag set), which the tokenizer keeps as an empty value.
  const pfn = required(input, byKey, 'pfn', HEX);
  const count = required(input, byKey, 'count', INT);
  const val = required(input, byKey, 'val', INT);
  if (pfn === null || count === null || val === null) return null;
  const ret = optional(input, byKey, 'ret', INT);
  if (ret === null && WITH_RET.has(op)) reportAt(input, 'BAD_FIELD', body.length, `page_ref_${op} without ret=`, 'warning');
  return pageRefRecord(input.base, {
    op,
    pfn: Number.parseInt(pfn, 16),
    flags: parseFlagText(byKey.get('flags')?.value ?? '', input.ctx.pageFlagTable),
    count: Number(count),
    mapcount: numberOrNull(optional(input, byKey, 'mapcount', INT)),
    mapping: byKey.get('mapping')?.value ?? null,
    mt: numberOrNull(optional(input, byKey, 'mt', INT)),
    val: Number(val),
    ret: numberOrNull(ret),
  });
}

/** A field that must be present and match `pattern`; reports BAD_FIELD otherwise. */
function required(input: BodyInput, byKey: ReadonlyMap<string, KeyValue>, key: string, pattern: RegExp): string | null {
  const kv = byKey.get(key);
  if (kv === undefined) {
    reportAt(input, 'BAD_FIELD', input.base.body.length, `missing ${key}=`);
    return null;
  }
  if (!pattern.test(kv.value)) {
    reportAt(input, 'BAD_FIELD', kv.valueOffset, `${key}=${kv.value} is not ${pattern === HEX ? 'a hex number' : 'an integer'}`);
    return null;
  }
  return inRange(input, key, kv, pattern) ? kv.value : null;
}

/** Reports (and answers false for) a value outside its field's kernel type. */
function inRange(input: BodyInput, key: string, kv: KeyValue, pattern: RegExp): boolean {
  if (pattern === HEX ? Number.parseInt(kv.value, 16) < PFN_LIMIT : inS32(kv.value)) return true;
  const range = pattern === HEX ? 'a pfn below 2^52' : `an int (${S32_MIN}..${S32_MAX}), as the tracepoint prints it`;
  reportAt(input, 'BAD_FIELD', kv.valueOffset, `${key}=${kv.value} is out of range: expected ${range}`);
  return false;
}

/** A field that may be absent; a malformed value is reported and read as absent. */
function optional(input: BodyInput, byKey: ReadonlyMap<string, KeyValue>, key: string, pattern: RegExp): string | null {
  const kv = byKey.get(key);
  if (kv === undefined) return null;
  if (pattern.test(kv.value)) return inRange(input, key, kv, pattern) ? kv.value : null;
  reportAt(input, 'BAD_FIELD', kv.valueOffset, `${key}=${kv.value} is not an integer`);
  return null;
}

function numberOrNull(v: string | null): number | null {
  return v === null ? null : Number(v);
}
