import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pageAddrToPfn } from '../../src/trace/address.ts';
import { parseTraceText, type ParsedTrace } from '../../src/trace/read-trace.ts';
import type { FsDaxRecord } from '../../src/trace/record-types.ts';

function load(name: string): ParsedTrace {
  const text = readFileSync(new URL(`../../events/traces/${name}`, import.meta.url), 'utf8');
  return parseTraceText(text, name);
}

function daxAt(t: ParsedTrace, line: number): FsDaxRecord {
  const r = t.records.find((x) => x.line === line);
  if (r?.kind !== 'fs_dax') throw new Error(`line ${line} is not an fs_dax record`);
  return r;
}

const NO_FIELDS = {
  sharing: null, flags: null, write: null, address: null, vm_start: null, vm_end: null, pgoff: null, pgoff_end: null,
  max_pgoff: null, pglen: null, length: null, pfn: null, pfn_flags: null, zero_page: null, radix_entry: null,
  entry: null, result: null,
};

describe('fs_dax records (raw tracefs, k61-ext4-daxwork)', () => {
  const t = load('k61-ext4-daxwork.trace.txt');

  it('reads a PMD write fault with its trailing empty result', () => {
    const r = daxAt(t, 150);
    expect(r).toMatchObject({
      kind: 'fs_dax', event: 'dax_pmd_fault', type: 'fs_dax:dax_pmd_fault', system: 'fs_dax', dev: { major: 259, minor: 0 },
      ino: 0xcn, sharing: 'shared', address: 0x7faeb5200000n, vm_start: 0x7faeb5000000n, vm_end: 0x7faeb5400000n,
      pgoff: 0x200n, pgoff_end: null, max_pgoff: 0x400n, write: null, radix_entry: null,
    });
    expect(r.flags).toEqual({ text: 'WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE', names: ['WRITE', 'ALLOW_RETRY', 'KILLABLE', 'USER', 'INTERRUPTIBLE'], unnamed: 0, value: 0x255 });
    expect(r.result).toEqual({ text: '', names: [], unnamed: 0, value: 0 });
  });

  it('reads a PTE fault result and fault flags with unnamed bits', () => {
    const r = daxAt(t, 174);
    expect(r).toMatchObject({ event: 'dax_pte_fault_done', ino: 0xdn, address: 0x7faeb4e00000n, pgoff: 0n, vm_start: null, max_pgoff: null });
    expect(r.flags).toMatchObject({ names: ['WRITE', 'MKWRITE', 'ALLOW_RETRY', 'KILLABLE', 'USER', 'INTERRUPTIBLE'], unnamed: 0x800, value: 0xa57 });
    expect(r.result).toEqual({ text: 'MAJOR|NOPAGE', names: ['MAJOR', 'NOPAGE'], unnamed: 0, value: 0x104 });
  });

  it('reads a PMD hole load and decodes its radix entry (zero_page on 6.1)', () => {
    const r = daxAt(t, 146);
    expect(r).toMatchObject({ event: 'dax_pmd_load_hole', sharing: 'shared', flags: null, zero_page: '000000002c314b05', radix_entry: 0x14800dn, result: null });
    expect(r.entry).toEqual({ raw: 0x14800dn, pfn: 0xa400, flagBits: 6, flags: ['PMD', 'ZERO_PAGE'], locked: false, pmd: true, zeroPage: true, empty: false });
  });
});

describe('fs_dax records from trace-cmd', () => {
  const t = load('k72dbg-ext4-daxwork.tracecmd.txt');

  it('decodes hex fault flags and reads the OOM of an unresolved result table as 0', () => {
    const r = daxAt(t, 146);
    expect(r).toMatchObject({ event: 'dax_pmd_fault', pgoff: 0n, max_pgoff: 0x400n });
    expect(r.flags).toEqual({ text: '0x1254', names: ['ALLOW_RETRY', 'KILLABLE', 'USER', 'INTERRUPTIBLE', 'VMA_LOCK'], unnamed: 0, value: 0x1254 });
    expect(r.result).toEqual({ text: 'OOM', names: [], unnamed: 0, value: 0 });
  });

  it('decodes a hex result', () => {
    expect(daxAt(t, 176).result).toEqual({ text: '0x100', names: ['NOPAGE'], unnamed: 0, value: 0x100 });
  });

  it('reads the zero folio as a real pointer whose pfn matches the radix entry', () => {
    const r = daxAt(t, 148);
    expect(r.zero_page).toBe('0xffffea0000150000');
    expect(r.entry?.pfn).toBe(0x5400);
    expect(pageAddrToPfn(BigInt(r.zero_page ?? '0'))).toBe(0x5400);
  });

  it('reads a writeback range printed as pgoff 0-0xf', () => {
    expect(daxAt(t, 219)).toMatchObject({ event: 'dax_writeback_range', pgoff: 0n, pgoff_end: 0xfn, sharing: null });
  });
});

describe('fs_dax bodies of other formats', () => {
  const prefix = '            test-1       [000] .....     1.000000: ';

  function one(line: string): FsDaxRecord {
    const t = parseTraceText(`${prefix}${line}`, 'x');
    expect(t.issues).toEqual([]);
    const r = t.records[0];
    if (r?.kind !== 'fs_dax') throw new Error('not fs_dax');
    return r;
  }

  it('reads dax_writeback_one', () => {
    expect(one('dax_writeback_one: dev 259:0 ino 0xd pgoff 0x2 pglen 0x1')).toMatchObject({
      ...NO_FIELDS, dev: { major: 259, minor: 0 }, ino: 0xdn, pgoff: 2n, pglen: 1n,
    });
  });

  it('reads dax_pmd_insert_mapping (v4.12–v6.15): write/read, length, pfn and its pfn_t flags', () => {
    const r = one('dax_pmd_insert_mapping: dev 259:1 ino 0x2a shared write address 0x7f0000200000 length 0x200000 pfn 0x48600 DEV|MAP radix_entry 0x90c003');
    expect(r).toMatchObject({ sharing: 'shared', write: true, flags: null, length: 0x200000n, pfn: 0x48600n, radix_entry: 0x90c003n, result: null });
    expect(r.pfn_flags?.names).toEqual(['DEV', 'MAP']);
    expect(r.entry).toMatchObject({ pfn: 0x48600, flags: ['LOCKED'] });
  });

  it('reads dax_insert_mapping with read', () => {
    expect(one('dax_insert_mapping: dev 259:1 ino 0x2a private read address 0x7f0000201000 radix_entry 0x900a01')).toMatchObject({
      sharing: 'private', write: false, address: 0x7f0000201000n, entry: { pfn: 0x48050, flags: [] },
    });
  });

  it('reads a fault with no fault flags (two spaces) and a FALLBACK result', () => {
    expect(one('dax_pmd_fault_done: dev 8:16 ino 0x1234 private  address 0x1000 vm_start 0x0 vm_end 0x400000 pgoff 0x1 max_pgoff 0x3ff FALLBACK')).toMatchObject({
      dev: { major: 8, minor: 16 }, sharing: 'private', flags: { text: '', names: [], value: 0 }, result: { names: ['FALLBACK'], value: 0x800 },
    });
  });

  it('reads an unknown dax_* event with the fs_dax shape without complaint', () => {
    expect(one('dax_future_event: dev 259:0 ino 0xc shared address 0x7f0000000000 pgoff 0x3')).toMatchObject({
      event: 'dax_future_event', type: 'fs_dax:dax_future_event', address: 0x7f0000000000n, pgoff: 3n,
    });
  });

  it('reports a malformed number as BAD_FIELD and a missing dev as a generic fallback', () => {
    const bad = parseTraceText(`${prefix}dax_writeback_one: dev 259:0 ino 0xd pgoff zz pglen 0x1`, 'x');
    expect(bad.issues.map((i) => [i.code, i.column])).toEqual([['BAD_FIELD', `${prefix}dax_writeback_one: dev 259:0 ino 0xd pgoff `.length + 1]]);
    expect(bad.records[0]).toMatchObject({ kind: 'fs_dax', pgoff: null, pglen: 1n });
    const nodev = parseTraceText(`${prefix}dax_writeback_one: ino 0xd pgoff 0x2`, 'x');
    expect(nodev.records[0]?.kind).toBe('generic');
    expect(nodev.issues.map((i) => i.code)).toEqual(['BAD_FIELD']);
  });
});
