/**
 * The replay's fast path for page_ref lines: reads op, pfn, count, val and ret
 * straight from the bytes of one line, with no string, no regex and no record.
 *
 * It accepts only the exact layout that the full reader (parseEventLine +
 * parsePageRefBody's CANONICAL regex) accepts, and gives the same values; anything
 * else (a trace-cmd body it does not recognise, a missing `ret=`, a task name with a
 * `[`, a CR in the middle, …) answers {@link FAST_FALLBACK}, and the caller hands the
 * line to the full reader, which parses it or reports it with a column. So the fast
 * path changes speed, never results (test/trace/page-ref-fast.test.ts compares both
 * on every page_ref line of the recorded traces and on perturbed lines).
 */
import type { PageRefOp } from './record-types.ts';

/** What {@link scanPageRefLine} read into its scratch. */
export interface PageRefFields {
  op: PageRefOp;
  pfn: number;
  count: number;
  mapcount: number;
  val: number;
  /** null when the event class prints no `ret=`. */
  ret: number | null;
  /** The `head` page flag (tracefs prints flags by name; a hex word goes to the full reader). */
  head: boolean;
}

/** The line is a canonical page_ref event; the scratch holds its fields. */
export const FAST_OK = 1;
/** The line needs the full reader (it may still be a page_ref event, or not be one at all). */
export const FAST_FALLBACK = 2;

const SP = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const COLON = 0x3a;
const DOT = 0x2e;
const MINUS = 0x2d;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const LPAREN = 0x28;
const RPAREN = 0x29;
const PIPE = 0x7c;
const ZERO = 0x30;
const NINE = 0x39;

/** `page_ref_` as bytes. */
export const PAGE_REF_PREFIX = 'page_ref_';
const PREFIX_LEN = PAGE_REF_PREFIX.length;

// The rest of each op name after `page_ref_` and its first byte (the op is told by that
// byte, then by the byte after `mod`: one comparison per name instead of a search).
const AND_TEST = ascii('and_test:');
const AND_RETURN = ascii('and_return:');
const UNLESS = ascii('unless:');
const ET = ascii('et:');
const REEZE = ascii('reeze:');
const NFREEZE = ascii('nfreeze:');

const PFN = ascii('pfn=0x');
const FLAGS = ascii(' flags=');
const COUNT = ascii(' count=');
const MAPCOUNT = ascii(' mapcount=');
const MAPPING = ascii(' mapping=');
const MT = ascii(' mt=');
const VAL = ascii(' val=');
const RET = ascii(' ret=');

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

function isWs(c: number | undefined): boolean {
  return c === SP || c === TAB;
}

/** Non-whitespace as the regex's `\S` sees an ASCII byte (bytes ≥ 0x80 are left to the full reader). */
function isNonSpace(c: number | undefined): boolean {
  return c !== undefined && c > SP && c < 0x7f;
}

/**
 * Scans one line `buf[a, b)` (without its newline) in which `at` is the index of a
 * `page_ref_` occurrence (the caller found it with one search per chunk). Fills
 * `out` and returns {@link FAST_OK}, or returns {@link FAST_FALLBACK}.
 */
export function scanPageRefLine(buf: Uint8Array, a: number, b: number, at: number, out: PageRefFields): number {
  let end = b;
  if (end > a && buf[end - 1] === CR) end--;
  if (buf[a] === 0x23 /* # */ || !prefixOk(buf, a, at)) return FAST_FALLBACK;
  // event name: page_ref_<op>: then one space, then trace-cmd's padding (the body is trimmed)
  let i = at + PREFIX_LEN;
  let op: PageRefOp;
  // whether the op's tracepoint class prints `ret=` (page_ref_mod_and_test_template)
  let withRet: boolean;
  const c0 = buf[i];
  if (c0 === 0x6d /* m */) {
    if (buf[i + 1] !== 0x6f || buf[i + 2] !== 0x64 /* od */) return FAST_FALLBACK;
    const c3 = buf[i + 3];
    i += 4;
    withRet = true;
    if (c3 === COLON) {
      op = 'mod';
      withRet = false;
    } else if (c3 !== 0x5f /* _ */) return FAST_FALLBACK;
    else if (matches(buf, i, end, AND_TEST)) {
      op = 'mod_and_test';
      i += AND_TEST.length;
    } else if (matches(buf, i, end, AND_RETURN)) {
      op = 'mod_and_return';
      i += AND_RETURN.length;
    } else if (matches(buf, i, end, UNLESS)) {
      op = 'mod_unless';
      i += UNLESS.length;
    } else return FAST_FALLBACK;
  } else if (c0 === 0x73 /* s */ && matches(buf, i + 1, end, ET)) {
    op = 'set';
    withRet = false;
    i += 1 + ET.length;
  } else if (c0 === 0x66 /* f */ && matches(buf, i + 1, end, REEZE)) {
    op = 'freeze';
    withRet = true;
    i += 1 + REEZE.length;
  } else if (c0 === 0x75 /* u */ && matches(buf, i + 1, end, NFREEZE)) {
    op = 'unfreeze';
    withRet = false;
    i += 1 + NFREEZE.length;
  } else return FAST_FALLBACK;
  if (buf[i] !== SP) return FAST_FALLBACK;
  while (isWs(buf[i])) i++;
  // pfn=0x%lx flags=%s count=%d mapcount=%d mapping=%p mt=%d val=%d[ ret=%d]
  if (!matches(buf, i, end, PFN)) return FAST_FALLBACK;
  i += PFN.length;
  const pfnStart = i;
  let pfn = 0;
  for (;;) {
    const c = buf[i]!;
    if (i < end && c >= ZERO && c <= NINE) pfn = pfn * 16 + (c - ZERO);
    else if (i < end && c >= 0x61 && c <= 0x66) pfn = pfn * 16 + (c - 0x57);
    else break;
    i++;
  }
  if (i === pfnStart || i - pfnStart > 13) return FAST_FALLBACK;
  if (!matches(buf, i, end, FLAGS)) return FAST_FALLBACK;
  i += FLAGS.length;
  // `reserved|head`: the head flag is one `|`-separated name; a `0x…` word needs the kernel's flag table
  if (buf[i] === ZERO && buf[i + 1] === 0x78) return FAST_FALLBACK;
  let head = false;
  let word = i;
  while (i <= end) {
    const c = i < end ? buf[i] : SP;
    if (c === PIPE || !isNonSpace(c)) {
      if (i - word === 4 && buf[word] === 0x68 && buf[word + 1] === 0x65 && buf[word + 2] === 0x61 && buf[word + 3] === 0x64) head = true;
      if (c !== PIPE) break;
      word = i + 1;
    }
    i++;
  }
  if (!matches(buf, i, end, COUNT)) return FAST_FALLBACK;
  i = readInt(buf, i + COUNT.length, end);
  if (i < 0) return FAST_FALLBACK;
  const count = intValue;
  if (!matches(buf, i, end, MAPCOUNT)) return FAST_FALLBACK;
  i = readInt(buf, i + MAPCOUNT.length, end);
  if (i < 0) return FAST_FALLBACK;
  const mapcount = intValue;
  if (!matches(buf, i, end, MAPPING)) return FAST_FALLBACK;
  i += MAPPING.length;
  const mappingStart = i;
  while (i < end && isNonSpace(buf[i])) i++;
  if (i === mappingStart || !matches(buf, i, end, MT)) return FAST_FALLBACK;
  i = readInt(buf, i + MT.length, end);
  if (i < 0 || !matches(buf, i, end, VAL)) return FAST_FALLBACK;
  i = readInt(buf, i + VAL.length, end);
  if (i < 0) return FAST_FALLBACK;
  const val = intValue;
  let ret: number | null = null;
  if (i < end) {
    if (!matches(buf, i, end, RET)) return FAST_FALLBACK;
    i = readInt(buf, i + RET.length, end);
    if (i !== end) return FAST_FALLBACK;
    ret = intValue;
  }
  if ((ret !== null) !== withRet) return FAST_FALLBACK;
  out.op = op;
  out.pfn = pfn;
  out.count = count;
  out.mapcount = mapcount;
  out.val = val;
  out.ret = ret;
  out.head = head;
  return FAST_OK;
}

/** The value of the last readInt (a module variable, so the hot path allocates nothing). */
let intValue = 0;

/** Reads `-?\d+` (at most 15 digits, so it is exact) at i; returns the index after it, or −1. */
function readInt(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  const neg = i < end && buf[i] === MINUS;
  if (neg) i++;
  const digits = i;
  let v = 0;
  while (i < end) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) break;
    v = v * 10 + (c - ZERO);
    i++;
  }
  if (i === digits || i - digits > 15) return -1;
  intValue = neg ? -v : v;
  // the tracepoint prints int fields: a value outside s32 goes to the full reader, which reports it
  if (intValue < -2147483648 || intValue > 2147483647) return -1;
  return i;
}

function matches(buf: Uint8Array, i: number, end: number, bytes: Uint8Array): boolean {
  if (i + bytes.length > end) return false;
  for (let k = 0; k < bytes.length; k++) if (buf[i + k] !== bytes[k]) return false;
  return true;
}

/**
 * True when `buf[a, at)` is an event-line prefix exactly as line.ts's regex reads it:
 * `\s*TASK-PID\s+[(TGID)\s+][CPU]\s+[FLAGS\s+]TS:\s+`, checked backwards from the
 * event name. A task name holding `[` is left to the full reader, which makes the
 * regex's lazy task match provably end at the same `-PID` as this check.
 */
function prefixOk(buf: Uint8Array, a: number, at: number): boolean {
  let i = at - 1;
  if (i < a || !isWs(buf[i])) return false;
  while (i >= a && isWs(buf[i])) i--;
  if (buf[i] !== COLON) return false;
  i--;
  // TS: \d+(\.\d+)?
  const tsEnd = i;
  while (i >= a && isDigit(buf[i])) i--;
  if (i === tsEnd) return false;
  if (buf[i] === DOT) {
    i--;
    const intEnd = i;
    while (i >= a && isDigit(buf[i])) i--;
    if (i === intEnd) return false;
  }
  if (i < a || !isWs(buf[i])) return false;
  while (i >= a && isWs(buf[i])) i--;
  if (buf[i] !== RBRACK) {
    // the latency flags column: 4 or 5 characters that are neither space nor ':'
    const flagsEnd = i;
    while (i >= a && buf[i] !== COLON && isNonSpace(buf[i])) i--;
    const n = flagsEnd - i;
    if (n < 4 || n > 5 || i < a || !isWs(buf[i])) return false;
    while (i >= a && isWs(buf[i])) i--;
    if (buf[i] !== RBRACK) return false;
  }
  i--;
  const cpuEnd = i;
  while (i >= a && isDigit(buf[i])) i--;
  if (i === cpuEnd || buf[i] !== LBRACK) return false;
  i--;
  if (i < a || !isWs(buf[i])) return false;
  while (i >= a && isWs(buf[i])) i--;
  if (buf[i] === RPAREN) {
    // (TGID): \(\s*(\d+|-+)\)
    i--;
    const inner = buf[i];
    const innerEnd = i;
    if (isDigit(inner)) while (i >= a && isDigit(buf[i])) i--;
    else while (i >= a && buf[i] === MINUS) i--;
    if (i === innerEnd) return false;
    while (i >= a && isWs(buf[i])) i--;
    if (buf[i] !== LPAREN) return false;
    i--;
    if (i < a || !isWs(buf[i])) return false;
    while (i >= a && isWs(buf[i])) i--;
  }
  const pidEnd = i;
  while (i >= a && isDigit(buf[i])) i--;
  if (i === pidEnd || buf[i] !== MINUS) return false;
  for (let k = a; k < i; k++) if (buf[k] === LBRACK || buf[k]! >= 0x80) return false;
  return true;
}
