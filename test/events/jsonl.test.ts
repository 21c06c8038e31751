/**
 * JSONL of both tiers: canonical write, parse(format(e)) = e for every type, and a
 * positioned issue naming the expected shape for every way a line can be wrong.
 */
import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import { formatHeader, formatJsonl, formatOp, formatRefEvent, parseOpLine, parseRefEventLine } from '../../src/events/jsonl.ts';
import { formatJsonlIssue, isJsonlIssue, type JsonlIssue } from '../../src/events/issues.ts';
import { arbOp, arbRefEvent } from '../fixtures/arbitraries.ts';

const site = { file: 'replays/s1/ops.jsonl', line: 3 };
const issue = (x: unknown): JsonlIssue => {
  expect(isJsonlIssue(x)).toBe(true);
  return x as JsonlIssue;
};

describe('formatOp / formatRefEvent', () => {
  test.prop([arbRefEvent], { numRuns: 500 })('parse(format(e)) equals e for every RefEvent', (e) => {
    expect(parseRefEventLine(formatRefEvent(e), site)).toEqual(e);
  });

  test.prop([arbOp], { numRuns: 500 })('parse(format(op)) equals op for every Op', (op) => {
    expect(parseOpLine(formatOp(op), site)).toEqual(op);
  });

  it('writes seq and type first, then the schema order, whatever the object order', () => {
    expect(formatRefEvent({ val: -1, op: 4, pfn: 0x40200, type: 'mod', seq: 9 })).toBe('{"seq":9,"type":"mod","pfn":262656,"val":-1,"op":4}');
    expect(formatOp({ vma: { shared: true, end: 8192, start: 4096 }, type: 'p2p.alloc_mmap', seq: 1, mm: 'a', address: 4096, pfn: 1, nr: 2 })).toBe(
      '{"seq":1,"type":"p2p.alloc_mmap","mm":"a","vma":{"start":4096,"end":8192,"shared":true},"address":4096,"pfn":1,"nr":2}',
    );
  });

  it('writes a header line and a newline-terminated document', () => {
    expect(formatHeader({ kind: 'ops', profile: 'legacy@6.14' })).toBe('{"schema":"dax-refsim/1","kind":"ops","profile":"legacy@6.14"}');
    expect(formatJsonl({ kind: 'refevents', profile: null }, [{ seq: 1, type: 'split', pfn: 5 }])).toBe(
      '{"schema":"dax-refsim/1","kind":"refevents","profile":null}\n{"seq":1,"type":"split","pfn":5}\n',
    );
  });
});

describe('parseRefEventLine / parseOpLine', () => {
  it('accepts pfn fields as "0x…" strings and returns numbers', () => {
    expect(parseRefEventLine('{"seq":1,"type":"add_rmap","pfn":"0x40200","page":"0x40305","nr":1,"level":"pte"}', site)).toEqual({
      seq: 1, type: 'add_rmap', pfn: 0x40200, page: 0x40305, nr: 1, level: 'pte',
    });
  });

  it('refuses a negative pfn at its column, naming the expected shape', () => {
    const x = issue(parseOpLine('{"seq":3,"type":"put","pfn":-5,"nr":1}', site));
    expect(x).toEqual({ file: 'replays/s1/ops.jsonl', line: 3, column: 29, code: 'BAD_FIELD', message: 'pfn: expected a non-negative integer below 2^52', expected: 'a non-negative integer below 2^52' });
    expect(formatJsonlIssue(x)).toBe('replays/s1/ops.jsonl:3:29 BAD_FIELD pfn: expected a non-negative integer below 2^52');
  });

  it.each([
    ['a hex string without 0x', '"40200"'],
    ['a bad hex string', '"0xZZ"'],
    ['a fraction', '1.5'],
    ['a boolean', 'true'],
    ['a number past 2^53', '9007199254740993'],
  ])('refuses a pfn given as %s', (_what, value) => {
    const x = issue(parseRefEventLine(`{"seq":1,"type":"split","pfn":${value}}`, site));
    expect([x.code, x.column, x.message]).toEqual(['BAD_FIELD', 31, 'pfn: expected a non-negative integer below 2^52']);
  });

  it('refuses a fractional delta', () => {
    expect(issue(parseRefEventLine('{"seq":1,"type":"mod","pfn":1,"val":1.5}', site))).toMatchObject({ code: 'BAD_FIELD', column: 37, message: 'val: expected an integer from -2147483648 to 2147483647 (a kernel int)' });
  });

  it('refuses a missing required field, pointing at the object', () => {
    expect(issue(parseRefEventLine('{"seq":1,"type":"mod","pfn":1}', site))).toMatchObject({ code: 'BAD_FIELD', column: 1, message: 'val: missing, expected an integer from -2147483648 to 2147483647 (a kernel int)' });
  });

  it('refuses an unknown field, listing the fields of the type', () => {
    expect(issue(parseRefEventLine('{"seq":1,"type":"mod","pfn":1,"val":1,"vall":2}', site))).toEqual({
      file: site.file, line: 3, column: 39, code: 'BAD_FIELD',
      message: 'vall: unexpected field (mod has: seq, type, pfn, val, op?)', expected: 'seq, type, pfn, val, op?',
    });
  });

  it('refuses a value outside an enum', () => {
    expect(issue(parseRefEventLine('{"seq":1,"type":"add_rmap","pfn":1,"page":1,"nr":1,"level":"pgd"}', site))).toMatchObject({
      code: 'BAD_FIELD', column: 60, message: 'level: expected one of pte, pmd, pud',
    });
    expect(issue(parseOpLine('{"seq":1,"type":"put","pfn":1,"nr":1,"via":"folio_put"}', site))).toMatchObject({
      message: 'via: expected one of put_page, folio_put_refs, bio_release',
    });
  });

  it('checks the nested VMA of a fault, field by field', () => {
    const fault = (vma: string) => `{"seq":2,"type":"dax.fault","mm":"mm1","vma":${vma},"address":4096,"file":"f","pgoff":0,"pfn":1,"level":"pte","write":true,"vmaShared":true,"reflink":false}`;
    expect(issue(parseOpLine(fault('{"start":"x","end":8192,"shared":true}'), site))).toMatchObject({ code: 'BAD_FIELD', column: 55, message: 'vma.start: expected a non-negative integer' });
    expect(issue(parseOpLine(fault('{"end":8192,"shared":true}'), site))).toMatchObject({ code: 'BAD_FIELD', column: 46, message: 'vma.start: missing, expected a non-negative integer' });
    expect(issue(parseOpLine(fault('{"start":0,"end":8192,"shared":true,"len":1}'), site))).toMatchObject({ message: 'vma.len: unexpected field (vma has: start, end, shared, file?, pgoff?)' });
    expect(issue(parseOpLine(fault('[]'), site))).toMatchObject({ message: 'vma: expected an object {start, end, shared, file?, pgoff?}' });
  });

  it('reports an unknown type at the type value, listing the types of the tier', () => {
    const x = issue(parseRefEventLine('{"seq":1,"type":"page_ref_mod","pfn":1}', site));
    expect(x.code).toBe('UNKNOWN_TYPE');
    expect(x.column).toBe(17);
    expect(x.message).toMatch(/^type: "page_ref_mod" is not a RefEvent type \(expected one of memmap_init, memmap_remove, set, mod, /);
    expect(issue(parseOpLine('{"seq":1,"type":"mod","pfn":1,"val":1}', site))).toMatchObject({ code: 'UNKNOWN_TYPE', message: expect.stringMatching(/^type: "mod" is not an Op type/) as unknown });
  });

  it('reports bad JSON at the first offending column', () => {
    expect(issue(parseRefEventLine('{"seq":1,"type":"mod","pfn":1,"val":}', site))).toEqual({
      file: site.file, line: 3, column: 37, code: 'BAD_JSON', message: 'invalid JSON: expected a JSON value', expected: 'a JSON value',
    });
    expect(issue(parseRefEventLine('[1,2]', site))).toMatchObject({ code: 'BAD_JSON', column: 1, message: 'expected one JSON object per line' });
  });

  it('requires seq to be a positive integer that increases', () => {
    expect(issue(parseRefEventLine('{"seq":"1","type":"split","pfn":1}', site))).toMatchObject({ code: 'BAD_FIELD', column: 8, message: 'seq: expected a positive integer' });
    expect(issue(parseRefEventLine('{"seq":0,"type":"split","pfn":1}', site))).toMatchObject({ code: 'BAD_SEQ', column: 8, message: 'seq: expected a positive integer (seq is 1-based), got 0' });
    expect(issue(parseRefEventLine('{"seq":5,"type":"split","pfn":1}', site, 5))).toMatchObject({ code: 'BAD_SEQ', column: 8, message: 'seq: expected an integer greater than 5 (the previous seq), got 5' });
    expect(parseRefEventLine('{"seq":7,"type":"split","pfn":1}', site, 5)).toEqual({ seq: 7, type: 'split', pfn: 1 });
  });
});
