import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTraceText, type ParsedTrace } from '../../src/trace/read-trace.ts';
import { prefixedFields } from '../../src/trace/record-fields.ts';
import type { TraceRecord } from '../../src/trace/record-types.ts';

function load(name: string): ParsedTrace {
  const text = readFileSync(new URL(`../../events/traces/${name}`, import.meta.url), 'utf8');
  return parseTraceText(text, name);
}

const raw = load('k72dbg-ext4-daxwork.trace.txt');
const report = load('k72dbg-ext4-daxwork.tracecmd.txt');
const reportT = load('k72dbg-ext4-daxwork.tracecmd-t.txt');

/** page_ref events as (event, pfn, flag names, count, mapcount, val, ret): what a replay compares. */
function pageRefs(t: ParsedTrace): unknown[] {
  return t.records.flatMap((r) =>
    r.kind === 'page_ref' ? [[r.event, r.pfn, r.flags.names?.join('|'), r.count, r.mapcount, r.val, r.ret]] : [],
  );
}

/** snap lines as (phase, r_ / m_ / o_ per pfn); e_ reads a neighbouring page on order-0 pfns and is boot-dependent. */
function snaps(t: ParsedTrace): unknown[] {
  return t.records.flatMap((r) => {
    if (r.kind !== 'kprobe' || r.event !== 'snap') return [];
    const words = (p: string) => Object.fromEntries(prefixedFields(r, p));
    return [[String(r.fields['txt']).split(' ')[1], words('r_'), words('m_'), words('o_')]];
  });
}

/** The event sequence with the kernel's event type (`ftrace:print` for both marker spellings). */
function types(t: ParsedTrace): string[] {
  return t.records.map((r: TraceRecord) => r.type);
}

describe('trace-cmd report of k72dbg-ext4-daxwork against the raw tracefs run', () => {
  it('has the same sequence of event types', () => {
    expect(types(report)).toEqual(types(raw));
    expect(types(reportT)).toEqual(types(raw));
    expect(raw.records).toHaveLength(237);
  });

  it('has the same page_ref events, hex flags decoded to the raw names', () => {
    const seq = pageRefs(raw);
    expect(seq).toHaveLength(49);
    expect(seq.slice(0, 3)).toEqual([
      ['page_ref_mod', 0x48600, 'reserved|head', 1, -1, 1, null],
      ['page_ref_mod', 0x48600, 'reserved|head', 2, -1, 1, null],
      ['page_ref_mod_and_test', 0x48600, 'reserved|head', 1, -1, -1, 0],
    ]);
    expect(pageRefs(report)).toEqual(seq);
    expect(pageRefs(reportT)).toEqual(seq);
  });

  it('has the same snap values at every marker', () => {
    const seq = snaps(raw);
    expect(seq).toHaveLength(19);
    expect(seq[2]).toEqual([
      'pmd_write_after_read',
      { '48400': 0, '48401': 0, '48600': 1, '48050': 0, '48051': 0, '48052': 0, '48054': 0, '48058': 0 },
      { '48400': -1, '48401': -1, '48600': -1, '48050': -1, '48051': -1, '48052': -1, '48054': -1, '48058': -1 },
      { '48400': 0, '48401': 0, '48600': 9, '48050': 0, '48051': 0, '48052': 0, '48054': 0, '48058': 0 },
    ]);
    expect(snaps(report)).toEqual(seq);
    expect(snaps(reportT)).toEqual(seq);
  });

  it('has the same markers and fs_dax fault flags, results and offsets', () => {
    const marks = (t: ParsedTrace) => t.records.flatMap((r) => (r.kind === 'marker' ? [r.phase] : []));
    expect(marks(report)).toEqual(marks(raw));
    const faults = (t: ParsedTrace) =>
      t.records.flatMap((r) => (r.kind === 'fs_dax' ? [[r.event, r.flags?.value ?? null, r.result?.value ?? null, r.pgoff, r.pglen]] : []));
    expect(faults(report)).toEqual(faults(raw));
  });

  it('keeps the finer timestamps of report -t', () => {
    const first = (t: ParsedTrace) => t.records[0];
    expect([first(report)?.tsText, first(report)?.ts]).toEqual(['6.346350', 6.34635]);
    expect([first(reportT)?.tsText, first(reportT)?.ts]).toEqual(['6.346350405', 6.346350405]);
    expect(report.records.every((r, i) => Math.abs(r.ts - (reportT.records[i]?.ts ?? 0)) <= 0.0000005)).toBe(true);
  });
});
