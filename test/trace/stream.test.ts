import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTraceFile, streamTraceFile } from '../../src/trace/read-file.ts';
import { parseTraceLines, parseTraceLinesSync, parseTraceText, recordsOf, splitLines } from '../../src/trace/read-trace.ts';
import type { TraceItem } from '../../src/trace/trace-reader.ts';

const FILE = new URL('../../events/traces/k72-ext4-daxrace.trace.txt', import.meta.url);
const TEXT = readFileSync(FILE, 'utf8');

async function* asyncLines(lines: Iterable<string>): AsyncGenerator<string> {
  for (const l of lines) yield await Promise.resolve(l);
}

describe('parseTraceLines (streaming)', () => {
  it('yields the header first, then records and issues in line order, then the summary', async () => {
    const items: TraceItem['type'][] = [];
    let headerKernel: string | null = null;
    for await (const item of parseTraceLines(asyncLines(splitLines(TEXT)), 'k72-ext4-daxrace.trace.txt')) {
      items.push(item.type);
      if (item.type === 'header') headerKernel = item.header.kernel;
    }
    expect(headerKernel).toBe('7.2.13+deb14-amd64');
    expect(items[0]).toBe('header');
    expect(items.filter((t) => t === 'record')).toHaveLength(66);
    expect(items.at(-1)).toBe('end');
    expect(items.filter((t) => t === 'header')).toHaveLength(1);
  });

  it('gives the same records as parseTraceText, from a sync iterable too', async () => {
    const whole = parseTraceText(TEXT, 'f');
    const streamed = [];
    for await (const r of recordsOf(parseTraceLines(splitLines(TEXT), 'f'))) streamed.push(r);
    expect(streamed).toEqual(whole.records);
  });

  it('streams a long trace without holding its records', () => {
    const head = 'KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w';
    function* lines(): Generator<string> {
      yield head;
      for (let i = 0; i < 200_000; i++) {
        const ts = (1 + i / 1e6).toFixed(6);
        yield `         daxwork-1     [000] .....     ${ts}: page_ref_mod: pfn=0x${(0x40000 + (i % 512)).toString(16)} flags=reserved count=2 mapcount=0 mapping=00000000deadbeef mt=1 val=1`;
      }
      yield 'KTRACE-END';
    }
    let records = 0;
    let end: TraceItem | undefined;
    for (const item of parseTraceLinesSync(lines(), 'big')) {
      if (item.type === 'record') records++;
      else end = item;
    }
    expect(records).toBe(200_000);
    expect(end).toMatchObject({ type: 'end', summary: { lines: 200_002, records: 200_000, errors: 0, warnings: 0, ended: true, eventCounts: { page_ref_mod: 200_000 } } });
  });
});

describe('readTraceFile / streamTraceFile', () => {
  it('read a file from disk like parseTraceText reads its text', async () => {
    const path = fileURLToPath(FILE);
    const fromFile = await readTraceFile(path);
    const fromText = parseTraceText(TEXT, path);
    expect(fromFile.records).toEqual(fromText.records);
    expect(fromFile.header).toEqual(fromText.header);
    expect(fromFile.summary).toEqual(fromText.summary);
    let n = 0;
    for await (const item of streamTraceFile(path)) if (item.type === 'record') n++;
    expect(n).toBe(66);
  });
});

describe('stream-level issues', () => {
  const ev = (ts: string, text = 'PHASE x') => `         daxwork-1     [000] .....     ${ts}: tracing_mark_write: ${text}`;

  it('accepts a byte-order mark before KTRACE-BEGIN', () => {
    const t = parseTraceText(`\uFEFFKTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w\n${ev('1.000000')}\nKTRACE-END\n`, 'bom');
    expect(t.issues).toEqual([]);
    expect(t.header.kernel).toBe('7.2.13');
  });

  it('accepts CRLF line ends', () => {
    const t = parseTraceText(`KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w\r\n${ev('1.000000')}\r\nKTRACE-END\r\n`, 'crlf');
    expect(t.issues).toEqual([]);
    expect(t.records[0]).toMatchObject({ kind: 'marker', text: 'PHASE x' });
  });

  it('warns NON_MONOTONIC_TS at the timestamp that goes back', () => {
    const back = ev('0.500000');
    const t = parseTraceText([ev('1.000000'), ev('1.000000'), back].join('\n'), 'ts');
    expect(t.issues.map((i) => [i.code, i.severity, i.line, i.column])).toEqual([['NON_MONOTONIC_TS', 'warning', 3, back.indexOf('0.5') + 1]]);
    expect(t.records).toHaveLength(3);
  });

  it('warns LOST_EVENTS where the ring buffer dropped events, and sums them', () => {
    const t = parseTraceText([ev('1.000000'), 'CPU:1 [LOST 42 EVENTS]', ev('2.000000')].join('\n'), 'lost');
    expect(t.issues.map((i) => [i.code, i.severity, i.line, i.column, i.message])).toEqual([['LOST_EVENTS', 'warning', 2, 7, 'CPU 1 lost 42 events here']]);
    expect(t.summary.lostEvents).toBe(42);
  });

  it('warns when a KTRACE recording has no KTRACE-END, and about text after it', () => {
    const open = parseTraceText(`KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w\n${ev('1.000000')}\n`, 'open');
    expect(open.issues.map((i) => [i.code, i.severity])).toEqual([['TRUNCATED_LINE', 'warning']]);
    expect(open.summary.ended).toBe(false);
    const after = parseTraceText(`KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w\nKTRACE-END\nmore\n`, 'after');
    expect(after.issues.map((i) => [i.code, i.line])).toEqual([['BAD_HEADER', 3]]);
  });
});
