/**
 * The replay's byte-level page_ref scanners against the full reader: on every page_ref
 * line of the recorded traces they take the fast path and read the same fields, and
 * on perturbed lines they either read what the full reader reads or decline (the
 * caller then asks the full reader). They never read something the full reader would
 * not. scanPageRefLine reads a line the stream split; scanPageRefAt reads forwards
 * from a line's start to its newline (the stream's first try for every line), and
 * takes every page_ref line of the recorded traces that scanPageRefLine takes, and
 * every line of the generated canonical layouts. PageRefStream, which runs both, gives
 * the full reader's page_ref records for any chunk size.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { headFlag, type PageRefRead } from '../../src/trace/page-ref-events.ts';
import { allNonSpace, allTaskBytes, FAST_OK, PAGE_REF_PREFIX, scanAt as scanWords, scanPageRefAt, scanPageRefLine, WORD_SLACK, wordView, type PageRefFields } from '../../src/trace/page-ref-fast.ts';
import { PageRefStream } from '../../src/trace/page-ref-stream.ts';
import { parseTraceText } from '../../src/trace/read-trace.ts';
import type { PageRefRecord } from '../../src/trace/record-types.ts';

const TRACES = ['k72dbg-ext4-daxwork.trace.txt', 'k612dbg-ext4-daxwork.trace.txt', 'k72dbg-ext4-daxwork.tracecmd.txt', 'k72dbg-ext4-daxwork.tracecmd-t.txt'];
const HEADER = 'KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=t\n# pmem: 40000000-5fffffff : Persistent Memory (legacy);\n';

function scan(line: string): PageRefFields | null {
  const buf = Buffer.from(line, 'utf8');
  const at = buf.indexOf(PAGE_REF_PREFIX);
  if (at < 0) return null;
  const out: PageRefFields = { op: 'mod', pfn: 0, count: 0, mapcount: 0, val: 0, ret: null, head: false };
  return scanPageRefLine(buf, 0, buf.length, at, out) === FAST_OK ? out : null;
}

/** scanPageRefAt on the line and its newline (after a preceding line, so `a` is not 0), or null when it declines. */
function scanAt(line: string): PageRefFields | null {
  const before = 'x\n';
  const buf = Buffer.from(`${before}${line}\n`, 'utf8');
  const out: PageRefFields = { op: 'mod', pfn: 0, count: 0, mapcount: 0, val: 0, ret: null, head: false };
  const nl = scanPageRefAt(buf, before.length, out);
  if (nl < 0) return null;
  // it ends exactly at the line's newline
  expect(nl).toBe(buf.length - 1);
  return out;
}

/** What the full reader makes of one event line (after a small header). */
function full(line: string): PageRefRecord | null {
  const t = parseTraceText(`${HEADER}${line}\n`, 't');
  const r = t.records[0];
  return r?.kind === 'page_ref' && !t.issues.some((i) => i.severity === 'error') ? r : null;
}

const fields = (r: PageRefRead | PageRefRecord): unknown => ({ op: r.op, pfn: r.pfn, count: r.count, mapcount: r.mapcount, val: r.val, ret: r.ret, head: 'flags' in r ? headFlag(r) : r.head });

describe('scanPageRefLine', () => {
  for (const name of TRACES) {
    it(`reads every page_ref line of ${name} like the full reader`, () => {
      const text = readFileSync(`events/traces/${name}`, 'utf8');
      const parsed = parseTraceText(text, name);
      const lines = text.split('\n');
      const records = parsed.records.filter((r): r is PageRefRecord => r.kind === 'page_ref');
      expect(records.length).toBeGreaterThan(0);
      for (const r of records) {
        const fast = scan(lines[r.line - 1]!);
        const at = scanAt(lines[r.line - 1]!);
        // trace-cmd prints flags as a hex word: only the full reader has the kernel's flag table
        if (r.flags.text.startsWith('0x')) {
          expect(fast, `line ${r.line}`).toBeNull();
          expect(at, `line ${r.line}`).toBeNull();
          continue;
        }
        expect(fast, `line ${r.line}`).not.toBeNull();
        expect(fields(fast!)).toEqual(fields(r));
        expect(at, `line ${r.line}`).not.toBeNull();
        expect(fields(at!)).toEqual(fields(r));
      }
    });
  }

  const BASE = '         daxwork-319     [001] .....     4.482502: page_ref_mod_and_test: pfn=0x48600 flags=reserved|head count=1 mapcount=-1 mapping=0000000062079d63 mt=1 val=-1 ret=0';

  it.each([
    ['the tracefs layout', BASE],
    ['a tgid column', BASE.replace('daxwork-319     [001]', 'daxwork-319     (    319) [001]')],
    ['an empty tgid column', BASE.replace('daxwork-319     [001]', 'daxwork-319     (-------) [001]')],
    ['no latency column', BASE.replace(' .....  ', ' ')],
    ['a 4-character latency column', BASE.replace('.....', '....')],
    ['a task name with spaces and dashes', BASE.replace('daxwork-319', 'kworker/0:1 x-y-319')],
    ['an empty flags field', BASE.replace('flags=reserved|head', 'flags=')],
    ['a CR line end', `${BASE}\r`],
    ['trace-cmd padding after the event name', BASE.replace('page_ref_mod_and_test: ', 'page_ref_mod_and_test:        ')],
  ])('takes the fast path for %s, reading what the full reader reads', (_name, line) => {
    const fast = scan(line);
    expect(fast).not.toBeNull();
    expect(fields(fast!)).toEqual(fields(full(line)!));
    expect(fields(scanAt(line)!)).toEqual(fields(full(line)!));
  });

  it.each([
    ['an empty task name', BASE.replace('daxwork-319', '-319')],
    ['a task name holding -PID and blanks', BASE.replace('daxwork-319', 'a-1 b-22 c-319')],
    ['page_ref_ in the task name (the full reader reads the event after the timestamp)', BASE.replace('daxwork-319', 'page_ref_x-319')],
    ['head first and alone', BASE.replace('flags=reserved|head', 'flags=head')],
    ['a name that ends in head', BASE.replace('flags=reserved|head', 'flags=ahead|xhead')],
    ['an empty name between bars', BASE.replace('flags=reserved|head', 'flags=||head|')],
    ['-0 and the s32 limits', BASE.replace('count=1 mapcount=-1', 'count=2147483647 mapcount=-2147483648').replace('val=-1', 'val=-0')],
    ['every op', BASE.replace('page_ref_mod_and_test', 'page_ref_mod_and_return')],
    ['page_ref_mod_unless', BASE.replace('page_ref_mod_and_test', 'page_ref_mod_unless')],
    ['page_ref_freeze', BASE.replace('page_ref_mod_and_test', 'page_ref_freeze')],
    ['page_ref_set', BASE.replace('page_ref_mod_and_test', 'page_ref_set').replace(' ret=0', '')],
    ['page_ref_unfreeze', BASE.replace('page_ref_mod_and_test', 'page_ref_unfreeze').replace(' ret=0', '')],
    ['page_ref_mod', BASE.replace('page_ref_mod_and_test', 'page_ref_mod').replace(' ret=0', '')],
    ['a 13-digit pfn', BASE.replace('0x48600', '0xfffffffffffff')],
    ['a tab in the task name', BASE.replace('daxwork-319', 'dax\twork-319')],
    ['a timestamp without decimals', BASE.replace('4.482502:', '4:')],
    ['tabs between the columns', BASE.replace('daxwork-319     [001] .....     4.482502: ', 'daxwork-319\t[001]\t.....\t4.482502:\t')],
  ])('scanPageRefAt takes %s, reading what the full reader reads', (_name, line) => {
    const at = scanAt(line);
    expect(at).not.toBeNull();
    expect(fields(at!)).toEqual(fields(full(line)!));
  });

  it.each([
    ['a missing ret=', BASE.replace(' ret=0', '')],
    ['ret= on page_ref_mod', BASE.replace('page_ref_mod_and_test', 'page_ref_mod')],
    ['upper-case hex', BASE.replace('0x48600', '0x48A00')],
    ['a trailing space', `${BASE} `],
    ['a task name with [', BASE.replace('daxwork-319', 'x[1]-319')],
    ['a comment line', `#${BASE}`],
    ['flags as a hex word (trace-cmd)', BASE.replace('flags=reserved|head', 'flags=0x2040')],
    ['an unknown page_ref event', BASE.replace('page_ref_mod_and_test', 'page_ref_mod_and_toast')],
    ['page_ref_ in the task name', BASE.replace('daxwork-319', 'page_ref_x-319')],
    ['a cut line', BASE.slice(0, 100)],
    ['no timestamp', BASE.replace('4.482502: ', '')],
  ])('declines %s (the full reader decides)', (_name, line) => {
    expect(scan(line)).toBeNull();
    if (!line.includes('page_ref_x-319')) expect(scanAt(line)).toBeNull();
  });

  it.each([
    ['a 14-digit pfn', BASE.replace('0x48600', '0x10000000000000')],
    ['a count beyond s32', BASE.replace('count=1 ', 'count=2147483648 ')],
    ['16 digits', BASE.replace('val=-1', 'val=0000000000000001')],
    ['a CR before the end', BASE.replace(' mt=1', '\r mt=1')],
    ['two CRs at the end', `${BASE}\r\r`],
    ['a latency column holding ]', BASE.replace('.....', '...].')],
    ['a latency column of 3', BASE.replace('.....', '...')],
    ['a latency column of 6', BASE.replace('.....', '......')],
    ['no blank before [CPU]', BASE.replace('daxwork-319     [001]', 'daxwork-319[001]')],
    ['no PID', BASE.replace('daxwork-319', 'daxwork')],
    ['a tab after the event name', BASE.replace('page_ref_mod_and_test: ', 'page_ref_mod_and_test:\t')],
    ['a blank line start only', '     [001] .....     4.482502: page_ref_mod: pfn=0x1 flags= count=1 mapcount=0 mapping=0 mt=1 val=1'],
  ])('scanPageRefAt declines %s', (_name, line) => {
    expect(scanAt(line)).toBeNull();
  });

  // random edits of a valid line: whatever the fast path accepts, the full reader reads the same
  const ALPHABET = [' ', '\t', '-', '[', ']', '(', ')', ':', '.', '0', '7', 'a', 'x', '=', '|', '#', 'é'];
  const edit = fc.tuple(fc.nat(BASE.length), fc.nat(3), fc.constantFrom(...ALPHABET));
  test.prop([fc.array(edit, { maxLength: 3 })], { numRuns: 400 })('never reads what the full reader would not', (edits) => {
    let line = BASE;
    for (const [at, del, ins] of edits) line = line.slice(0, at) + ins + line.slice(at + del);
    const fast = scan(line);
    if (fast === null) return;
    const ref = full(line);
    expect(ref).not.toBeNull();
    expect(fields(fast)).toEqual(fields(ref!));
  });
});

const OPS = ['set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze'] as const;
const WITH_RET = new Set<string>(['mod_and_test', 'mod_and_return', 'mod_unless', 'freeze']);
const blanks = (max: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(' ', ' ', '\t'), { minLength: 1, maxLength: max }).map((b) => b.join(''));
const s32 = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -2147483648, max: 2147483647 }));

/** A page_ref line in one of the layouts tracefs and trace-cmd print, every field drawn at random. */
const arbCanonical = fc
  .record({
    lead: fc.constantFrom('', ' ', '         ', '\t'),
    task: fc.array(fc.constantFrom('a', 'k', 'Z', '0', '9', '-', '/', ':', '_', '.', ' ', '(', ')', ']', '|', '='), { maxLength: 14 }).map((t) => t.join('')),
    pid: fc.integer({ min: 0, max: 4194304 }),
    tgid: fc.option(fc.oneof(fc.integer({ min: 0, max: 99999 }).map((t) => `(${' '.repeat(Math.max(0, 7 - String(t).length))}${t})`), fc.constant('(-------)')), { nil: null }),
    cpu: fc.integer({ min: 0, max: 255 }).map((c) => String(c).padStart(3, '0')),
    latency: fc.option(fc.array(fc.constantFrom('.', 'd', 'N', 'h', 's', 'b', '1', '2', 'X'), { minLength: 4, maxLength: 5 }).map((l) => l.join('')), { nil: null }),
    ts: fc.tuple(fc.nat(99999), fc.option(fc.integer({ min: 0, max: 999999999 }).map((d) => String(d).padStart(6, '0')), { nil: null })),
    gaps: fc.tuple(blanks(6), blanks(6), blanks(6), blanks(6)),
    pad: fc.constantFrom('', '   ', '\t'),
    op: fc.constantFrom(...OPS),
    pfn: fc.oneof(fc.integer({ min: 0, max: 0xfffff }), fc.integer({ min: 0, max: 2 ** 52 - 1 })),
    flags: fc.array(fc.constantFrom('reserved', 'head', 'uptodate', 'lru', 'dirty', 'heads', 'hea', ''), { maxLength: 4 }),
    count: s32,
    mapcount: s32,
    mapping: fc.constantFrom('0000000062079d63', '00000000deadbeef', '(null)', '0'),
    mt: s32,
    val: s32,
    ret: s32,
    cr: fc.boolean(),
  })
  .map((f) => {
    const tgid = f.tgid === null ? '' : `${f.tgid}${f.gaps[0]}`;
    const latency = f.latency === null ? '' : `${f.latency}${f.gaps[2]}`;
    const ts = f.ts[1] === null ? String(f.ts[0]) : `${f.ts[0]}.${f.ts[1]}`;
    const ret = WITH_RET.has(f.op) ? ` ret=${f.ret}` : '';
    const body = `pfn=0x${f.pfn.toString(16)} flags=${f.flags.join('|')} count=${f.count} mapcount=${f.mapcount} mapping=${f.mapping} mt=${f.mt} val=${f.val}${ret}`;
    return `${f.lead}${f.task}-${f.pid}${f.gaps[0]}${tgid}[${f.cpu}]${f.gaps[1]}${latency}${ts}:${f.gaps[3]}page_ref_${f.op}: ${f.pad}${body}${f.cr ? '\r' : ''}`;
  });

describe('scanPageRefAt', () => {
  // a task name may hold -PID, blanks, ( ) ] | = : the full reader's lazy TASK-PID still ends at the PID before [CPU]
  test.prop([arbCanonical], { numRuns: 600, seed: 16 })('takes every generated line of the canonical layouts and reads what the full reader reads', (line) => {
    const ref = full(line);
    expect(ref, line).not.toBeNull();
    const at = scanAt(line);
    expect(at, line).not.toBeNull();
    expect(fields(at!)).toEqual(fields(ref!));
  });

  const NASTY = [' ', '\t', '\r', '\v', '-', '[', ']', '(', ')', ':', '.', '0', '9', 'a', 'f', 'x', 'X', '=', '|', '#', '_', 'h', 'é', 'page_ref_', ' ret=1', ' val=2', '2147483648'];
  const edit = fc.tuple(fc.nat(200), fc.nat(3), fc.constantFrom(...NASTY));
  test.prop([arbCanonical, fc.array(edit, { minLength: 1, maxLength: 2 })], { numRuns: 1500, seed: 16 })('never reads what the full reader would not, on generated lines edited at random', (base, edits) => {
    let line = base;
    for (const [at, del, ins] of edits) {
      const k = at % (line.length + 1);
      line = line.slice(0, k) + ins + line.slice(k + del);
    }
    const at = scanAt(line);
    if (at === null) return;
    const ref = full(line);
    expect(ref, JSON.stringify(line)).not.toBeNull();
    expect(fields(at)).toEqual(fields(ref!));
  });
});

describe('PageRefStream', () => {
  const other = fc.constantFrom(
    '         daxwork-1     [000] ...1.     1.000001: tracing_mark_write: PHASE step1',
    '# a comment',
    '',
    '         daxwork-319     [001] .....     4.482502: page_ref_mod_and_test: pfn=0x48A00 flags=reserved count=1 mapcount=-1 mapping=0 mt=1 val=-1 ret=0',
    '         daxwork-319     [001] .....     4.482502: page_ref_mod: pfn=0x48a00 flags=0x2040 count=1 mapcount=-1 mapping=0 mt=1 val=1',
  );
  test.prop([fc.array(fc.oneof({ weight: 6, arbitrary: arbCanonical }, { weight: 1, arbitrary: other }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 300 }), fc.boolean()], { numRuns: 150, seed: 16 })(
    'delivers the page_ref records of the full reader, at their lines, for any chunk size',
    (lines, chunk, lastNewline) => {
      const text = `${HEADER}${lines.join('\n')}${lastNewline ? '\n' : ''}`;
      const ref = parseTraceText(text, 't').records.filter((r): r is PageRefRecord => r.kind === 'page_ref').map((r) => ({ line: r.line, ...(fields(r) as object) }));
      const got: unknown[] = [];
      const stream = new PageRefStream('t', {
        header: () => undefined,
        issue: () => undefined,
        pageRef: (r, line) => {
          got.push({ line, ...(fields(r) as object) });
          return true;
        },
      });
      const bytes = Buffer.from(text, 'utf8');
      for (let k = 0; k < bytes.length; k += chunk) stream.push(bytes.subarray(k, k + chunk));
      stream.end();
      expect(got).toEqual(ref);
    },
  );
});

describe('word reads (four bytes a read through a DataView)', () => {
  const EDGE = [0x00, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x21, 0x2f, 0x30, 0x5a, 0x5b, 0x5c, 0x7e, 0x7f, 0x80, 0x9b, 0xa0, 0xdb, 0xfe, 0xff];
  const arbByte = fc.oneof(fc.constantFrom(...EDGE), fc.integer({ min: 0, max: 255 }));
  const word = (b: readonly number[]): number => new DataView(Uint8Array.from(b).buffer).getInt32(0, true);
  test.prop([fc.tuple(arbByte, arbByte, arbByte, arbByte)], { numRuns: 3000, seed: 16 })('allNonSpace and allTaskBytes answer for the four bytes what the byte tests answer', (b) => {
    expect(allNonSpace(word(b))).toBe(b.every((c) => c > 0x20 && c < 0x7f));
    expect(allTaskBytes(word(b))).toBe(b.every((c) => c >= 0x20 && c <= 0x7e && c !== 0x5b));
  });
  it('allNonSpace and allTaskBytes: every value of each byte beside printable neighbours', () => {
    for (let k = 0; k < 4; k++)
      for (let c = 0; c < 256; c++) {
        const b = [0x61, 0x61, 0x61, 0x61];
        b[k] = c;
        expect(allNonSpace(word(b))).toBe(c > 0x20 && c < 0x7f);
        expect(allTaskBytes(word(b))).toBe(c >= 0x20 && c <= 0x7e && c !== 0x5b);
      }
  });

  // the bytes after a line's newline (the room its word reads may look into) never change what it reads
  const FILL = [0x0a, 0x20, 0x3d, 0x61, 0x30, 0xff];
  test.prop([arbCanonical], { numRuns: 400, seed: 16 })('reads the same whatever follows the newline in the room after it', (line) => {
    const text = Buffer.from(`${line}\n`, 'utf8');
    const results = FILL.map((fill): { nl: number; f: unknown } | null => {
      const room = new Uint8Array(text.length + WORD_SLACK).fill(fill);
      room.set(text);
      const out: PageRefFields = { op: 'mod', pfn: 0, count: 0, mapcount: 0, val: 0, ret: null, head: false };
      const nl = scanWords(room, wordView(room), 0, out);
      return nl < 0 ? null : { nl, f: fields(out) };
    });
    expect(results[0]).not.toBeNull();
    expect(results[0]!.nl).toBe(text.length - 1);
    for (const r of results) expect(r).toEqual(results[0]);
    expect(fields(scanAt(line)!)).toEqual(fields(full(line)!));
  });

  test.prop([fc.array(fc.oneof({ weight: 6, arbitrary: arbCanonical }, { weight: 1, arbitrary: fc.constant('# a comment') }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 400 })], { numRuns: 100, seed: 16 })(
    'PageRefStream reads chunks that end their ArrayBuffer (no room after the last newline) as it reads chunks with room',
    (lines, chunk) => {
      const text = Buffer.from(`${HEADER}${lines.join('\n')}\n`, 'utf8');
      const run = (exact: boolean): unknown[] => {
        const got: unknown[] = [];
        const stream = new PageRefStream('t', { header: () => undefined, issue: () => undefined, pageRef: (r, line) => (got.push({ line, ...(fields(r) as object) }), true) });
        for (let k = 0; k < text.length; k += chunk) {
          const part = text.subarray(k, k + chunk);
          // exact: each chunk alone in an ArrayBuffer of its own size
          stream.push(exact ? Buffer.from(Uint8Array.from(part).buffer) : part);
        }
        stream.end();
        return got;
      };
      const exact = run(true);
      expect(exact).toEqual(run(false));
      expect(exact).toEqual(parseTraceText(text.toString('utf8'), 't').records.filter((r): r is PageRefRecord => r.kind === 'page_ref').map((r) => ({ line: r.line, ...(fields(r) as object) })));
    },
  );
});
