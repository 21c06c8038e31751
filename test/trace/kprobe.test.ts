import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProbeDefinition } from '../../src/trace/probe-definition.ts';
import { parseTraceText, type ParsedTrace } from '../../src/trace/read-trace.ts';
import { prefixedFields, probeBigint, probeNumber } from '../../src/trace/record-fields.ts';
import type { KprobeRecord } from '../../src/trace/record-types.ts';

function load(name: string): ParsedTrace {
  const text = readFileSync(new URL(`../../events/traces/${name}`, import.meta.url), 'utf8');
  return parseTraceText(text, name);
}

function kprobeAt(t: ParsedTrace, line: number): KprobeRecord {
  const r = t.records.find((x) => x.line === line);
  if (r?.kind !== 'kprobe') throw new Error(`line ${line} is not a kprobe record`);
  return r;
}

/** A small trace with its own probe definitions, for malformed-input cases. */
function mini(...events: string[]): ParsedTrace {
  const text = [
    'KTRACE-BEGIN kernel=7.2.13 fs=xfs work=test',
    '# kprobe_events:',
    '#   p:ktr/t some_func s=+0(%si):string n=%di:s32 x=%dx:x64',
    ...events.map((e) => `            test-1       [000] .....     1.000000: ${e}`),
    'KTRACE-END',
  ].join('\n');
  return parseTraceText(text, 'mini.txt');
}

describe('kprobe records typed by the header definition', () => {
  const k72dbg = load('k72dbg-ext4-daxwork.trace.txt');

  it('converts x64 to bigint, s32 (negative too) and u8 to number', () => {
    const r = kprobeAt(k72dbg, 182);
    expect(r).toMatchObject({ event: 'vmf_insert_page_mkwrite', system: 'ktr', type: 'ktr:vmf_insert_page_mkwrite', probeKind: 'entry', pid: 319, ts: 4.495663 });
    expect(r.fields).toEqual({ vmf: 0xffffc900004a7df8n, page: 0xffffea0001201400n, write: 1, ref: 1, mapcount: -1 });
    expect(r.fieldTypes['vmf']?.base).toBe('x64');
    expect(r.location).toEqual({
      kind: 'entry',
      text: 'vmf_insert_page_mkwrite+0x4/0x53',
      at: { text: 'vmf_insert_page_mkwrite+0x4/0x53', symbol: 'vmf_insert_page_mkwrite', offset: 4, size: 0x53, module: null, address: null },
    });
    expect(probeNumber(r, 'mapcount')).toBe(-1);
    expect(probeBigint(r, 'ref')).toBe(1n);
  });

  it('keeps a kretprobe location as return site <- probed function', () => {
    const r = t612devdax(185);
    expect(r.probeKind).toBe('return');
    expect(r.location).toMatchObject({
      kind: 'return',
      text: 'dev_dax_huge_fault+0x1bb/0x3d0 [device_dax] <- vmf_insert_pfn_pud',
      func: { symbol: 'vmf_insert_pfn_pud', offset: null },
      returnSite: { symbol: 'dev_dax_huge_fault', offset: 0x1bb, size: 0x3d0, module: 'device_dax' },
    });
    expect(r.fields).toEqual({ ret: 0x100 });
  });

  it('reads an s64 return value as a bigint', () => {
    expect(t612devdax(220).fields).toEqual({ ret: -131391476474960n });
  });

  it('reads a module symbol location', () => {
    const r = kprobeAt(load('k61-ext4-daxrace.trace.txt'), 172);
    expect(r.location).toMatchObject({ kind: 'entry', at: { symbol: 'ext4_break_layouts', offset: 0, size: 0x120, module: 'ext4' } });
    expect(r.fields).toEqual({ inode: 0xffff8880081b0128n });
  });

  it('reads trace-cmd kretprobe locations with the probed function first', () => {
    const t = load('k72dbg-ext4-daxwork.tracecmd.txt');
    const r = kprobeAt(t, 289);
    expect(r.location).toMatchObject({
      kind: 'return',
      func: { address: 0xffffffff8134da18n, symbol: null },
      returnSite: { address: 0xffffffff813505b5n },
    });
    const kallsyms = t.header.kallsyms.find((k) => k.name === 'try_grab_folio_fast');
    expect(kallsyms?.address).toBe(0xffffffff8134da18n);
    expect(r.fields).toEqual({ folio: 0xffffea0001201600n, ref: 2 });
  });

  function t612devdax(line: number): KprobeRecord {
    return kprobeAt(devdax612, line);
  }
  const devdax612 = load('k612-devdax-devdaxwork.trace.txt');
});

describe('snap lines', () => {
  it("read txt with its spaces and the r_/m_/o_/e_/w1_/p_ words of every pfn", () => {
    const t = load('k612-devdax-devdaxwork.trace.txt');
    const snap = t.records.find((r) => r.event === 'snap');
    if (snap?.kind !== 'kprobe') throw new Error('no snap');
    expect(snap.line).toBe(179);
    expect(snap.fields['fd']).toBe(3);
    expect(snap.fields['txt']).toBe(
      'PHASE setup dev=/dev/dax0.0 align=1073741824 size=1073741824 resource=0x140000000 head_pfn=0x140000 tailA_pfn=0x144000 tailB_pfn=0x17c000 addr=0x7f8fc0000000',
    );
    expect(Object.fromEntries(prefixedFields(snap, 'r_'))).toEqual({ '140000': 1, '144000': 0, '17c000': 0 });
    expect(Object.fromEntries(prefixedFields(snap, 'm_'))).toEqual({ '140000': -1, '144000': -1, '17c000': -1 });
    expect(Object.fromEntries(prefixedFields(snap, 'o_'))).toEqual({ '140000': 18, '144000': 0, '17c000': 0 });
    expect(Object.fromEntries(prefixedFields(snap, 'e_'))).toEqual({ '140000': -1, '144000': 0, '17c000': 0 });
    expect(Object.fromEntries(prefixedFields(snap, 'w1_'))).toEqual({
      '140000': 0xffff8880bff2b600n, '144000': 0xffffea0005000001n, '17c000': 0xffffea0005000001n,
    });
    expect(Object.fromEntries(prefixedFields(snap, 'p_'))).toEqual({ '140000': 0, '144000': -559087616, '17c000': -559087616 });
  });

  it('read the 7.1+ compound_info mask in a tail word 1 (stock 7.2, HVO)', () => {
    const t = load('k72-devdax-devdaxwork.trace.txt');
    const snap = t.records.find((r) => r.event === 'snap');
    if (snap?.kind !== 'kprobe') throw new Error('no snap');
    expect(snap.fields['w1_144000']).toBe(0xffffffffff000001n);
    expect(snap.fields['w1_140000']).toBe(0xffff888004c4d000n);
  });
});

describe('malformed and unexpected kprobe bodies', () => {
  it('reads (fault) as null', () => {
    const t = mini('t: (some_func+0x0/0x10) s=(fault) n=-3 x=0x0');
    expect(t.issues).toEqual([]);
    expect(t.records[0]).toMatchObject({ kind: 'kprobe', fields: { s: null, n: -3, x: 0n } });
  });

  it('reads a quoted string holding spaces, quotes-in-words and key=value text', () => {
    const t = mini('t: (some_func+0x0/0x10) s="PHASE x addr=0x1 q"uote" n=7 x=0x10');
    expect(t.records[0]).toMatchObject({ fields: { s: 'PHASE x addr=0x1 q"uote', n: 7, x: 16n } });
  });

  it('reads missing trailing fields as null with a TRUNCATED_LINE warning', () => {
    const t = mini('t: (some_func+0x0/0x10) s="x" n=5');
    expect(t.records[0]).toMatchObject({ fields: { s: 'x', n: 5, x: null } });
    expect(t.issues.map((i) => [i.code, i.severity, i.message])).toEqual([['TRUNCATED_LINE', 'warning', 'missing field(s) x']]);
  });

  it('reports an unclosed quote as a TRUNCATED_LINE error', () => {
    const t = mini('t: (some_func+0x0/0x10) s="PHASE cut');
    expect(t.issues.map((i) => [i.code, i.severity, i.line, i.column])).toEqual([['TRUNCATED_LINE', 'error', 4, 78]]);
    expect(t.records[0]).toMatchObject({ fields: { s: null, n: null, x: null } });
  });

  it('reports a value that does not fit its type as BAD_FIELD, at the value', () => {
    const t = mini('t: (some_func+0x0/0x10) s="x" n=abc x=0x1');
    expect(t.issues.map((i) => [i.code, i.severity, i.column, i.message])).toEqual([['BAD_FIELD', 'error', 84, 'n=abc expected s32']]);
    expect(t.records[0]).toMatchObject({ fields: { s: 'x', n: null, x: 1n } });
  });

  it('infers types for a probe without a definition and warns UNKNOWN_EVENT', () => {
    const t = mini('other: (other_func+0x4/0x20) a=0x10 b=-2 c="q r"');
    expect(t.records[0]).toMatchObject({ kind: 'kprobe', probe: null, system: null, type: 'other', fields: { a: 16n, b: -2, c: 'q r' } });
    expect(t.issues.map((i) => [i.code, i.severity])).toEqual([['UNKNOWN_EVENT', 'warning']]);
  });

  it('keeps a field the definition does not declare, with a BAD_FIELD warning', () => {
    const t = mini('t: (some_func+0x0/0x10) s="x" n=1 x=0x2 extra=9');
    expect(t.records[0]).toMatchObject({ fields: { s: 'x', n: 1, x: 2n, extra: 9 } });
    expect(t.issues.map((i) => [i.code, i.severity])).toEqual([['BAD_FIELD', 'warning']]);
  });
});

describe('probe definitions', () => {
  it('default unnamed args to argN and untyped args to x64', () => {
    const r = parseProbeDefinition('p:grp/ev do_sys_open %di +8(%si):u16');
    expect(r.ok && r.probe.args.map((a) => [a.name, a.fetch, a.type.text])).toEqual([['arg1', '%di', 'x64'], ['arg2', '+8(%si)', 'u16']]);
  });

  it('read fprobe %return, module targets, offsets, arrays and bitfields', () => {
    const f = parseProbeDefinition('f:fp/vfs_read_exit vfs_read%return ret=$retval:s64');
    expect(f.ok && [f.probe.kind, f.probe.letter, f.probe.symbol, f.probe.group]).toEqual(['return', 'f', 'vfs_read', 'fp']);
    const m = parseProbeDefinition('p:ktr/xb xfs:xfs_break_dax_layouts+0x4 ip=%di:x64 a=+0(%si):u8[4] b=+4(%si):b3@2/32');
    expect(m.ok && [m.probe.module, m.probe.symbol, m.probe.offset]).toEqual(['xfs', 'xfs_break_dax_layouts', 4]);
    expect(m.ok && m.probe.args.map((a) => [a.type.base, a.type.arrayLength, a.type.bits])).toEqual([['x64', null, 64], ['u8', 4, 8], ['bitfield', null, 32]]);
  });

  it('name a probe without GRP/EVENT the way the kernel does', () => {
    const r = parseProbeDefinition('r do_sys_open $retval:s32');
    expect(r.ok && [r.probe.group, r.probe.name, r.probe.kind]).toEqual(['kprobes', 'r_do_sys_open_0', 'return']);
  });

  it('reject an unknown type with its offset', () => {
    expect(parseProbeDefinition('p:g/e f a=%di:u7')).toEqual({ ok: false, message: "unknown type 'u7' in 'a=%di:u7'", offset: 8 });
  });
});
