/**
 * The replay's byte-level page_ref scanner against the full reader: on every page_ref
 * line of the recorded traces it takes the fast path and reads the same fields, and
 * on perturbed lines it either reads what the full reader reads or declines (the
 * caller then asks the full reader). It never reads something the full reader would not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { headFlag } from '../../src/trace/page-ref-events.ts';
import { FAST_OK, PAGE_REF_PREFIX, scanPageRefLine, type PageRefFields } from '../../src/trace/page-ref-fast.ts';
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

/** What the full reader makes of one event line (after a small header). */
function full(line: string): PageRefRecord | null {
  const t = parseTraceText(`${HEADER}${line}\n`, 't');
  const r = t.records[0];
  return r?.kind === 'page_ref' && !t.issues.some((i) => i.severity === 'error') ? r : null;
}

const fields = (r: PageRefFields | PageRefRecord): unknown => ({ op: r.op, pfn: r.pfn, count: r.count, val: r.val, ret: r.ret, head: 'flags' in r ? headFlag(r) : r.head });

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
        // trace-cmd prints flags as a hex word: only the full reader has the kernel's flag table
        if (r.flags.text.startsWith('0x')) {
          expect(fast, `line ${r.line}`).toBeNull();
          continue;
        }
        expect(fast, `line ${r.line}`).not.toBeNull();
        expect(fields(fast!)).toEqual(fields(r));
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
