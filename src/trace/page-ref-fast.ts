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


/*
 * The forward scanner below is written for V8's optimizing compiler as much as for
 * the CPU: a rarely taken branch that does arithmetic, compares or calls has no type
 * feedback when the function is first optimized, and taking it later throws the
 * optimized code away (a deopt, then ~100 ms of recompiling while the line loop runs
 * interpreted). So the op is told by a table lookup and one shared name comparison,
 * the `head` flag and the CR are folded in without branches, and every fixed key is
 * compared in straight-line code (no loop per key: a smaller graph to compile), a word
 * of four bytes a read through a DataView (issue 16: the scan bounds a replay's wall
 * time), as are the runs of blanks, task bytes and the `mapping=` value.
 */

/** Op codes of {@link scanPageRefAt}, indexed by code. */
const FWD_OPS: readonly PageRefOp[] = ['mod', 'set', 'freeze', 'unfreeze', 'mod_unless', 'mod_and_test', 'mod_and_return'];
/** 1 where the op's tracepoint class prints `ret=` (page_ref_mod_and_test_template). */
const FWD_WITH_RET = Int32Array.of(0, 0, 1, 0, 1, 1, 1);
/** Each op's name and its `:`, at FWD_NAME_AT[code] in FWD_NAMES. */
const FWD_NAMES = ascii(FWD_OPS.map((op) => `${op}:`).join(''));
const FWD_NAME_AT = Int32Array.from(FWD_OPS, (_op, k) => FWD_OPS.slice(0, k).reduce((n, op) => n + op.length + 1, 0));
/** The op code by (name length << 7 | first byte), −1 for none: one lookup, no branch per op. */
const FWD_OP_BY_KEY = new Int8Array(32 << 7).fill(-1);
FWD_OPS.forEach((op, k) => (FWD_OP_BY_KEY[(op.length << 7) | op.charCodeAt(0)] = k));

/** 1 for a byte a task name, its PID and the blanks after them may hold: printable ASCII or a tab. */
const TASK_BYTE = Uint8Array.from({ length: 256 }, (_b, c) => ((c >= SP && c <= 0x7e) || c === TAB ? 1 : 0));

/** The value of the last {@link intAt}. */
let num = 0;

/**
 * Reads `-?\d+` at i exactly as {@link readInt} does (at most 15 digits, within s32)
 * into {@link num}; returns the index after it, or −1. The byte that ends it is read:
 * the caller guarantees a newline ends the line within the buffer.
 */
function intAt(buf: Uint8Array, start: number): number {
  const neg = buf[start] === MINUS;
  const digits = neg ? start + 1 : start;
  let i = digits;
  let c = buf[i]!;
  let v = 0;
  while (c >= ZERO && c <= NINE) {
    v = v * 10 + (c - ZERO);
    c = buf[++i]!;
  }
  if (i === digits || i - digits > 15) return -1;
  // `-0` reads as -0, as Number('-0') and readInt read it
  v = neg ? -v : v;
  if (v < -2147483648 || v > 2147483647) return -1;
  num = v;
  return i;
}

/**
 * The fast path for the common layouts, read forwards in one pass from the line's first
 * byte to its newline, so the caller needs neither a newline search nor a `page_ref_`
 * search for the line: `TASK-PID [(TGID)] [CPU] [FLAGS] TS: page_ref_OP: BODY`.
 *
 * `buf[a]` starts a line that a newline ends inside `buf` (the caller checks once per
 * chunk that a newline follows `a`): every loop below stops at a byte the newline
 * cannot be, and every fixed key mismatches at it, so no read goes past it and no read
 * needs its own bounds check. Fills `out` and returns the index of the newline, or
 * returns −1 when the line is anything else (the caller then splits it and asks
 * {@link scanPageRefLine}, then the full reader).
 *
 * It accepts a subset of what the full reader accepts, with the same values
 * (test/trace/page-ref-fast.test.ts holds it against the full reader and against
 * {@link scanPageRefLine}): the task name printable ASCII or tabs without `[`, so the first `[`
 * is the CPU column's and the regex's lazy task ends at the `-PID` before it (prefixOk's
 * argument); the latency column without `]`, which prefixOk, reading backwards, would
 * take for the CPU column's. Unlike scanPageRefLine it also takes a task name holding
 * `page_ref_` (the full reader reads the event after the timestamp, as this does).
 */
export function scanPageRefAt(buf: Uint8Array, a: number, out: PageRefFields): number {
  const nl = buf.indexOf(NL, a);
  if (nl >= 0 && nl + WORD_SLACK <= roomOf(buf)) return scanAt(buf, wordView(buf), a, out);
  // no room for a word read past the newline: read a copy with room (a caller's odd buffer, never the stream's hot path)
  const copy = new Uint8Array(buf.length + WORD_SLACK);
  copy.set(buf);
  return scanAt(copy, wordView(copy), a, out);
}

/**
 * Bytes the word reads may go past a line's newline: a 4-byte read starts at or before
 * the newline (every loop stops at it, and a key's first word holds a byte the newline
 * cannot match), so it reads at most 3 bytes after it. Those bytes never decide
 * anything: the newline inside the word already makes it mismatch.
 */
export const WORD_SLACK = 4;

/** Bytes readable from `buf[0]` in its ArrayBuffer (its own bytes and whatever follows them there). */
export function roomOf(buf: Uint8Array): number {
  return buf.buffer.byteLength - buf.byteOffset;
}

/** A little-endian word view of `buf` and the bytes after it in its ArrayBuffer ({@link roomOf}). */
export function wordView(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, roomOf(buf));
}

/**
 * {@link scanPageRefAt} with the word view of `buf` made by the caller (once per chunk):
 * the line at `a` must end with a newline at an index n with n + {@link WORD_SLACK}
 * ≤ roomOf(buf).
 */
export function scanAt(buf: Uint8Array, dv: DataView, a: number, out: PageRefFields): number {
  const i = eventAt(buf, dv, a);
  return i < 0 ? -1 : bodyAt(buf, dv, i, out);
}

/** `text` (4 ASCII bytes) as the little-endian word DataView.getInt32(i, true) reads (int32 arithmetic throughout). */
function le32(text: string): number {
  return text.charCodeAt(0) | (text.charCodeAt(1) << 8) | (text.charCodeAt(2) << 16) | (text.charCodeAt(3) << 24);
}

/** `text` (2 ASCII bytes) as DataView.getUint16(i, true) reads it. */
function le16(text: string): number {
  return text.charCodeAt(0) | (text.charCodeAt(1) << 8);
}

// The fixed parts of a line as words: each key is compared in one to three reads, the
// later ones only after the first matched (so never past the newline, WORD_SLACK).
const W_SPACES = le32('    ');
const W_PAGE = le32('page');
const W_REF = le32('_ref');
const W_PFN = le32('pfn=');
const H_0X = le16('0x');
const W_FLA = le32(' fla');
const W_AGS = le32('ags=');
const W_COU = le32(' cou');
const W_UNT = le32('unt=');
const W_MAP = le32(' map');
const W_COUN = le32('coun');
const H_TEQ = le16('t=');
const W_PING = le32('ping');
const W_MT = le32(' mt=');
const W_VAL = le32(' val');
const W_VALEQ = le32('val=');
const W_RET = le32(' ret');
const W_RETEQ = le32('ret=');

/**
 * Whether all four bytes of a word are printable non-blank ASCII (0x21–0x7e, the
 * regex's `\S` on ASCII): no byte below 0x21 and none above 0x7e, tested on the whole
 * word at once (the "has less" and "has more" tests of Bit Twiddling Hacks, exact for
 * whether any byte qualifies).
 */
export function allNonSpace(w: number): boolean {
  return ((((w - 0x21212121) & ~w) | (w + 0x01010101) | w) & 0x80808080) === 0;
}

/**
 * Whether all four bytes are printable ASCII (0x20–0x7e) and none is `[`: a word of a
 * task name, its PID and the blanks after them (a tab or any other byte goes to the byte loop).
 */
export function allTaskBytes(w: number): boolean {
  const x = w ^ 0x5b5b5b5b;
  return ((((w - 0x20202020) & ~w) | (w + 0x01010101) | w | ((x - 0x01010101) & ~x)) & 0x80808080) === 0;
}

/**
 * The line prefix up to `page_ref_` (see {@link scanPageRefAt}): the index after it, or
 * −1. Its own function, like {@link bodyAt}: two small units optimize sooner than one large.
 */
function eventAt(buf: Uint8Array, dv: DataView, a: number): number {
  let i = a;
  let c = buf[i]!;
  if (c === 0x23 /* # */) return -1;
  // the padding before the task, four blanks a read (the newline or any other byte ends it)
  while (dv.getInt32(i, true) === W_SPACES) i += 4;
  c = buf[i]!;
  while (c === SP || c === TAB) c = buf[++i]!;
  const task = i;
  // TASK-PID and the blanks up to the first `[`: printable ASCII or tabs (no byte ≥ 0x80, no newline),
  // four bytes a read while they are printable and not `[`, then a byte at a time
  // (a table: a compare reached only by a rare byte, an empty line's newline, would lack type feedback)
  while (allTaskBytes(dv.getInt32(i, true))) i += 4;
  c = buf[i]!;
  while (c !== LBRACK) {
    if (TASK_BYTE[c] === 0) return -1;
    c = buf[++i]!;
  }
  const cpu = i;
  // backwards from `[`: \s+, an optional (TGID) and \s+, PID, `-`
  let j = cpu - 1;
  if (j <= task) return -1;
  c = buf[j]!;
  if (c !== SP && c !== TAB) return -1;
  // the task starts at a byte that is not blank, so this stops at or after it
  do c = buf[--j]!;
  while (c === SP || c === TAB);
  if (c === RPAREN) {
    j = tgidBefore(buf, task, j);
    if (j < 0) return -1;
    c = buf[j]!;
  }
  const pidEnd = j;
  while (j > task && c >= ZERO && c <= NINE) c = buf[--j]!;
  if (j === pidEnd || c !== MINUS) return -1;
  // [CPU] \s+
  i = cpu + 1;
  c = buf[i]!;
  while (c >= ZERO && c <= NINE) c = buf[++i]!;
  if (i === cpu + 1 || c !== RBRACK) return -1;
  c = buf[++i]!;
  if (c !== SP && c !== TAB) return -1;
  do c = buf[++i]!;
  while (c === SP || c === TAB);
  // TS: \d+(\.\d+)?, or first the latency column: 4 or 5 bytes of [^\s:\]], then \s+
  i = timestampAt(buf, i);
  if (i < 0) return -1;
  // `:` \s+ page_ref_
  c = buf[++i]!;
  if (c !== SP && c !== TAB) return -1;
  do c = buf[++i]!;
  while (c === SP || c === TAB);
  if (dv.getInt32(i, true) !== W_PAGE || dv.getInt32(i + 4, true) !== W_REF || buf[i + 8] !== 0x5f /* _ */) return -1;
  return i + PREFIX_LEN;
}

/** From the op's name after `page_ref_` at `i` to the newline (see {@link scanPageRefAt}). */
function bodyAt(buf: Uint8Array, dv: DataView, start: number, out: PageRefFields): number {
  let i = start;
  // the op: [a-z_]+ then `:`, told by its length and first byte, then compared whole
  const name = i;
  let c = buf[i]!;
  while ((c >= 0x61 && c <= 0x7a) || c === 0x5f) c = buf[++i]!;
  const len = i - name;
  const code = len < 32 ? FWD_OP_BY_KEY[(len << 7) | buf[name]!]! : -1;
  if (code < 0 || !sameName(buf, name, FWD_NAME_AT[code]!, len + 1)) return -1;
  const withRet = FWD_WITH_RET[code]!;
  // `:`, one space, then trace-cmd's padding
  c = buf[++i]!;
  if (c !== SP) return -1;
  do c = buf[++i]!;
  while (c === SP || c === TAB);
  // pfn=0x%lx
  if (dv.getInt32(i, true) !== W_PFN || dv.getUint16(i + 4, true) !== H_0X) return -1;
  i += 6;
  const pfnStart = i;
  let pfn = 0;
  c = buf[i]!;
  for (;;) {
    if (c >= ZERO && c <= NINE) pfn = pfn * 16 + (c - ZERO);
    else if (c >= 0x61 && c <= 0x66) pfn = pfn * 16 + (c - 0x57);
    else break;
    c = buf[++i]!;
  }
  if (i === pfnStart || i - pfnStart > 13) return -1;
  //  flags=%s
  if (dv.getInt32(i, true) !== W_FLA || dv.getInt32(i + 3, true) !== W_AGS) return -1;
  i += 7;
  i = flagsAt(buf, i);
  if (i < 0) return -1;
  const head = flagsHead;
  //  count=%d
  if (dv.getInt32(i, true) !== W_COU || dv.getInt32(i + 3, true) !== W_UNT) return -1;
  i = intAt(buf, i + 7);
  if (i < 0) return -1;
  const count = num;
  //  mapcount=%d
  if (dv.getInt32(i, true) !== W_MAP || dv.getInt32(i + 4, true) !== W_COUN || dv.getUint16(i + 8, true) !== H_TEQ) return -1;
  i = intAt(buf, i + 10);
  if (i < 0) return -1;
  const mapcount = num;
  //  mapping=%p
  if (dv.getInt32(i, true) !== W_MAP || dv.getInt32(i + 4, true) !== W_PING || buf[i + 8] !== 0x3d /* = */) return -1;
  i += 9;
  const mapping = i;
  // \S+: four bytes a read while all are printable non-blanks, then a byte at a time
  while (allNonSpace(dv.getInt32(i, true))) i += 4;
  c = buf[i]!;
  while (c > SP && c < 0x7f) c = buf[++i]!;
  if (i === mapping) return -1;
  //  mt=%d
  if (dv.getInt32(i, true) !== W_MT) return -1;
  i = intAt(buf, i + 4);
  //  val=%d
  if (i < 0 || dv.getInt32(i, true) !== W_VAL || dv.getInt32(i + 1, true) !== W_VALEQ) return -1;
  i = intAt(buf, i + 5);
  if (i < 0) return -1;
  const val = num;
  //  ret=%d, exactly when the op's class prints it
  let ret: number | null = null;
  if (withRet === 1) {
    if (dv.getInt32(i, true) !== W_RET || dv.getInt32(i + 1, true) !== W_RETEQ) return -1;
    i = intAt(buf, i + 5);
    if (i < 0) return -1;
    ret = num;
  }
  // the end of the line: \n, or \r\n (the one CR scanPageRefLine drops)
  i += buf[i] === CR ? 1 : 0;
  if (buf[i] !== NL) return -1;
  out.op = FWD_OPS[code]!;
  out.pfn = pfn;
  out.count = count;
  out.mapcount = mapcount;
  out.val = val;
  out.ret = ret;
  out.head = head;
  return i;
}

const NL = 0x0a;

/**
 * `(TGID)` and the blanks before it, read backwards from its `)` at `j` (prefixOk's
 * `\(\s*(\d+|-+)\)\s+`): the index of the byte before the blanks, or −1. Never reads
 * before `task`, the first byte of the task name.
 */
function tgidBefore(buf: Uint8Array, task: number, j: number): number {
  if (j <= task) return -1;
  const innerEnd = --j;
  let c = buf[j]!;
  if (c >= ZERO && c <= NINE) {
    while (j > task && c >= ZERO && c <= NINE) c = buf[--j]!;
  } else while (j > task && c === MINUS) c = buf[--j]!;
  if (j === innerEnd) return -1;
  while (j > task && (c === SP || c === TAB)) c = buf[--j]!;
  if (c !== LPAREN || j <= task) return -1;
  c = buf[--j]!;
  if (c !== SP && c !== TAB) return -1;
  while (j > task && (c === SP || c === TAB)) c = buf[--j]!;
  return j;
}

/**
 * The timestamp at `i` (`\d+(\.\d+)?` then `:`), after a latency column (4 or 5 bytes of
 * `[^\s:\]]` then blanks) when one is there: the index of the `:`, or −1.
 */
function timestampAt(buf: Uint8Array, start: number): number {
  let i = start;
  for (let pass = 0; pass < 2; pass++) {
    const tok = i;
    let c = buf[i]!;
    while (c >= ZERO && c <= NINE) c = buf[++i]!;
    let ts = i > tok;
    if (ts && c === DOT) {
      const frac = ++i;
      c = buf[i]!;
      while (c >= ZERO && c <= NINE) c = buf[++i]!;
      ts = i > frac;
    }
    if (ts && c === COLON) return i;
    if (pass === 1) return -1;
    i = tok;
    c = buf[i]!;
    while (c > SP && c < 0x7f && c !== COLON && c !== RBRACK) c = buf[++i]!;
    if (i - tok < 4 || i - tok > 5 || (c !== SP && c !== TAB)) return -1;
    do c = buf[++i]!;
    while (c === SP || c === TAB);
  }
  return -1;
}

/** Whether the last {@link flagsAt} saw the `head` flag. */
let flagsHead = false;

/**
 * The flags value at `i`: `|`-separated names up to a blank (`\S*`); a `0x…` word needs
 * the kernel's flag table, so it answers −1. Sets {@link flagsHead}; returns the index
 * after the value. Each name's last four bytes are kept as one number and both
 * comparisons run at the end of every name, so no branch lacks type feedback.
 */
function flagsAt(buf: Uint8Array, start: number): number {
  let i = start;
  if (buf[i] === ZERO && buf[i + 1] === 0x78) return -1;
  let head = 0;
  let len = 0;
  let w = 0;
  // one increment of i for every byte, `|` included: the `|` path does no arithmetic of its own
  for (; ; i++) {
    const c = buf[i]!;
    if (c > SP && c < 0x7f && c !== PIPE) {
      w = ((w << 8) | c) >>> 0;
      len++;
      continue;
    }
    head |= (len === 4 ? 1 : 0) & (w === HEAD_WORD ? 1 : 0);
    if (c !== PIPE) break;
    len = 0;
    w = 0;
  }
  flagsHead = head === 1;
  return i;
}

/** `head` as a big-endian 32-bit word. */
const HEAD_WORD = 0x68656164;

/** `buf[i, i + n)` equals FWD_NAMES[at, at + n). */
function sameName(buf: Uint8Array, i: number, at: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (buf[i + k] !== FWD_NAMES[at + k]) return false;
  return true;
}
