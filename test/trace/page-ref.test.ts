import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PAGE_FLAGS_V6_1, PAGE_FLAGS_V6_12, pageFlagTableFor } from '../../src/trace/flag-tables.ts';
import { parseKernelRelease } from '../../src/trace/kernel-release.ts';
import { parseTraceText, type ParsedTrace } from '../../src/trace/read-trace.ts';
import type { PageRefRecord } from '../../src/trace/record-types.ts';

function load(name: string): ParsedTrace {
  const text = readFileSync(new URL(`../../events/traces/${name}`, import.meta.url), 'utf8');
  return parseTraceText(text, name);
}

function pageRefAt(t: ParsedTrace, line: number): PageRefRecord {
  const r = t.records.find((x) => x.line === line);
  if (r?.kind !== 'page_ref') throw new Error(`line ${line} is not a page_ref record`);
  return r;
}

describe('page_ref records (raw tracefs, k612dbg)', () => {
  const t = load('k612dbg-ext4-daxwork.trace.txt');

  it('reads every field of page_ref_mod', () => {
    const r = pageRefAt(t, 193);
    expect(r).toMatchObject({
      kind: 'page_ref', event: 'page_ref_mod', system: 'page_ref', type: 'page_ref:page_ref_mod', op: 'mod',
      pfn: 0x48050, count: 1025, mapcount: -1, mapping: '00000000bc9d6383', mt: 1, val: 1024, ret: null,
      task: 'daxwork', pid: 309, cpu: 0, ts: 7.094972,
    });
    expect(r.flags).toEqual({ text: 'reserved', names: ['reserved'], unnamed: 0, value: 1 << 13 });
  });

  it('reads ret of page_ref_mod_and_return and several flag names', () => {
    const r = pageRefAt(t, 246);
    expect(r).toMatchObject({ op: 'mod_and_return', pfn: 0x48054, count: 1, val: -1024, ret: 1 });
    expect(r.flags.names).toEqual(['referenced', 'dirty', 'reserved']);
    expect(r.flags.value).toBe((1 << 2) | (1 << 4) | (1 << 13));
  });

  it('reads page_ref_mod_unless', () => {
    expect(pageRefAt(t, 263)).toMatchObject({ op: 'mod_unless', pfn: 0x48058, count: 2, val: 1, ret: 1, irqFlags: 'd....' });
  });
});

describe('page_ref records from trace-cmd (hex flags, real pointers)', () => {
  const t = load('k72dbg-ext4-daxwork.tracecmd.txt');

  it('keeps the hex flag word and decodes it with the 7.2 page-flag layout', () => {
    const r = pageRefAt(t, 158);
    expect(r).toMatchObject({ op: 'mod_and_test', pfn: 0x48600, count: 1, mapcount: -1, mapping: '0xffff888000e629c8', mt: 1, val: -1, ret: 0 });
    expect(r.flags).toEqual({ text: '0x2040', names: ['reserved', 'head'], unnamed: 0, value: 0x2040 });
  });

  it('decodes referenced|dirty|reserved|head in the kernel print order', () => {
    expect(pageRefAt(t, 358).flags).toEqual({ text: '0x2054', names: ['referenced', 'dirty', 'reserved', 'head'], unnamed: 0, value: 0x2054 });
  });
});

describe('page flag layouts', () => {
  it('are chosen by kernel release, and not guessed for v6.6–v6.11', () => {
    expect(pageFlagTableFor(parseKernelRelease('7.2.13'))).toBe(PAGE_FLAGS_V6_12);
    expect(pageFlagTableFor(parseKernelRelease('6.12.117+deb13-amd64'))).toBe(PAGE_FLAGS_V6_12);
    expect(pageFlagTableFor(parseKernelRelease('6.1.0-56-amd64'))).toBe(PAGE_FLAGS_V6_1);
    expect(pageFlagTableFor(parseKernelRelease('6.8.0'))).toBeNull();
    expect(pageFlagTableFor(null)).toBeNull();
  });

  it('leave a hex flag word undecoded when the kernel is unknown', () => {
    const line = '         daxwork-505   [001]     6.381360: page_ref_mod:         pfn=0x48600 flags=0x2040 count=1 mapcount=-1 mapping=0xffff888000e629c8 mt=1 val=1';
    const r = parseTraceText(line, 'x').records[0];
    expect(r?.kind === 'page_ref' && r.flags).toEqual({ text: '0x2040', names: null, unnamed: 0x2040, value: 0x2040 });
  });
});

describe('unusual page_ref bodies', () => {
  const head = 'KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w\n';
  const prefix = '            test-1       [000] .....     1.000000: ';

  it('read an empty flags= word as no flags', () => {
    const t = parseTraceText(`${head}${prefix}page_ref_set: pfn=0x40000 flags= count=1 mapcount=-1 mapping=0000000000000000 mt=1 val=1\nKTRACE-END`, 'x');
    expect(t.issues).toEqual([]);
    expect(t.records[0]).toMatchObject({ kind: 'page_ref', op: 'set', pfn: 0x40000, count: 1, val: 1, flags: { names: [], value: 0 } });
  });

  it('read fields in another order or without mapping (slow path)', () => {
    const t = parseTraceText(`${head}${prefix}page_ref_freeze: pfn=0x40001 count=0 val=1 ret=1 flags=head\nKTRACE-END`, 'x');
    expect(t.issues).toEqual([]);
    expect(t.records[0]).toMatchObject({ op: 'freeze', pfn: 0x40001, count: 0, val: 1, ret: 1, mapping: null, mapcount: null, mt: null });
  });

  it('fall back to a generic record with a BAD_FIELD error when count is missing', () => {
    const line = `${prefix}page_ref_mod: pfn=0x40000 flags=reserved mapcount=0 mt=1 val=1`;
    const t = parseTraceText(`${head}${line}\nKTRACE-END`, 'x');
    expect(t.records[0]).toMatchObject({ kind: 'generic', event: 'page_ref_mod', fields: { pfn: '0x40000', val: '1' } });
    expect(t.issues.map((i) => [i.code, i.severity, i.line, i.column, i.message])).toEqual([
      ['BAD_FIELD', 'error', 2, line.length + 1, 'missing count='],
    ]);
  });

  it('report a malformed pfn at its column', () => {
    const line = `${prefix}page_ref_mod: pfn=48000 flags=reserved count=2 mapcount=0 mapping=0 mt=1 val=1`;
    const t = parseTraceText(`${head}${line}\nKTRACE-END`, 'x');
    expect(t.issues.map((i) => [i.code, i.column])).toEqual([['BAD_FIELD', line.indexOf('48000') + 1]]);
  });
});
