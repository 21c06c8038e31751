/**
 * The replay JSON shape, exactly: folios grouped by compound_head() and sorted by
 * head, `--pfn` narrowing through a tail, `--pages`, waiters only when non-empty.
 */
import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { foldAll } from '../../src/engine/runner.ts';
import { batched, formatReplayJson, prettyJson, replayJson, replayJsonChunks } from '../../src/report/replay-json.ts';
import { markPartial } from '../../src/cli/issue-list.ts';
import { arbStream, BASE } from '../fixtures/streams.ts';
import { formatReplayText } from '../../src/report/replay-text.ts';
import { fsdaxInit, mod, numbered } from '../fixtures/events.ts';

// fsdax 0x40000: order-0, refcount 2, PTE-mapped, index 3; 0x40400: associated only.
// device-dax 0x80000 (vmemmap_shift 9): an order-9 folio of which only tail 0x80105 (and page[1]) were written.
const { state, findings } = foldAll(numbered([
  fsdaxInit(1),
  { type: 'memmap_init', pfn: 0x80000, nr: 1024, pgmap: 'dax0.0', pgmapType: 'generic', refcount: 1, vmemmapShift: 9 },
  { type: 'set_mapping', pfn: 0x40400, mapping: 'inode:7', index: 512 },
  mod(0x40000, 1),
  { type: 'set_mapping', pfn: 0x40000, mapping: 'inode:9', index: 3 },
  { type: 'add_rmap', pfn: 0x40000, page: 0x40000, nr: 1, level: 'pte' },
  { type: 'add_rmap', pfn: 0x80000, page: 0x80105, nr: 1, level: 'pte' },
]));
const input = { profile: 'unified@6.16', kconfig: { CONFIG_FS_DAX_PMD: 'y' }, events: 7, state, findings };

describe('replayJson', () => {
  it('lists every folio with a written page once, under its head, sorted by head pfn', () => {
    const doc = replayJson(input);
    expect(Object.keys(doc)).toEqual(['profile', 'kconfig', 'events', 'folios', 'findings']);
    expect(doc.profile).toBe('unified@6.16');
    expect(doc.kconfig).toEqual({ CONFIG_FS_DAX_PMD: 'y' });
    expect(doc.events).toBe(7);
    expect(doc.folios).toEqual([
      { head: '0x40000', order: 0, pfns: ['0x40000', '0x40000'], refcount: 2, mapcount: 1, pincount: null, maybeDmaPinned: false, pgmap: 'pmem0', mapping: 'inode:9', index: 3, share: 3 },
      { head: '0x40400', order: 0, pfns: ['0x40400', '0x40400'], refcount: 1, mapcount: 0, pincount: null, maybeDmaPinned: false, pgmap: 'pmem0', mapping: 'inode:7', index: 512, share: 512 },
      { head: '0x80000', order: 9, pfns: ['0x80000', '0x801ff'], refcount: 1, mapcount: 1, pincount: 0, maybeDmaPinned: false, pgmap: 'dax0.0', mapping: null, index: 0, share: 0 },
    ]);
    expect(doc.findings).toEqual([]);
  });

  it('narrows to the folio of a tail pfn, with its written pages', () => {
    const doc = replayJson({ ...input, pfn: 0x80105, pages: true });
    expect(doc.folios).toHaveLength(1);
    expect(doc.folios[0]).toMatchObject({ head: '0x80000', order: 9, pfns: ['0x80000', '0x801ff'], mapcount: 1 });
    expect(doc.folios[0]?.pages).toEqual([
      { pfn: '0x80001', refcount: 0, mapcount: -1, word1: '0xffffea0002000001', mapping: null, flags: 'reserved' },
      { pfn: '0x80105', refcount: 0, mapcount: 0, word1: '0xffffea0002000001', mapping: 'TAIL_MAPPING', flags: 'reserved' },
    ]);
    expect(replayJson({ ...input, pfn: 0x80000 }).folios).toEqual(replayJson({ ...input, pfn: 0x801ff }).folios);
  });

  it('shows an untouched pfn of a registered range as its own folio, and nothing outside any range', () => {
    expect(replayJson({ ...input, pfn: 0x50000 }).folios).toEqual([
      { head: '0x50000', order: 0, pfns: ['0x50000', '0x50000'], refcount: 1, mapcount: 0, pincount: null, maybeDmaPinned: false, pgmap: 'pmem0', mapping: null, index: 0, share: 0 },
    ]);
    expect(replayJson({ ...input, pfn: 0x10 }).folios).toEqual([]);
  });

  it('prints findings with hex pfns (null for none) and waiters only when some remain', () => {
    const r = foldAll(numbered([
      fsdaxInit(0),
      mod(0x40010, -1),
      { type: 'wait', pfn: 0x40010, fn: 'dax_break_layout', file: 'inode:7', start: 0, end: 9, until: 0, interruptible: true, waiter: 3, kind: 'truncate' },
      { type: 'wait_end', waiter: 8, how: 'woken' },
    ]));
    const doc = replayJson({ profile: null, kconfig: {}, events: 4, state: r.state, findings: r.findings });
    expect(doc.findings).toEqual([
      { code: 'put-on-freed-page', severity: 'error', seq: 2, pfn: '0x40010', function: 'put_page_testzero', message: 'put of 1 on pfn 0x40010, whose refcount was already 0 (freed)' },
      { code: 'no-such-waiter', severity: 'error', seq: 4, pfn: null, function: 'wake_up_var', message: 'wait_end for Op #8, which is not waiting' },
    ]);
    expect(doc.waiters).toEqual([{ waiter: 3, pfn: '0x40010', fn: 'dax_break_layout', file: 'inode:7', start: 0, end: 9, until: 0, interruptible: true, kind: 'truncate', since: 3 }]);
  });

  it('formats as indented JSON with short leaves on one line, and parses back to the value', () => {
    const text = formatReplayJson(input);
    expect(JSON.parse(text)).toEqual(replayJson(input));
    // one folio per line: a folio holds only scalars and the scalar array `pfns`
    expect(text).toContain('    {"head": "0x80000", "order": 9, "pfns": ["0x80000", "0x801ff"], "refcount": 1,');
    expect(prettyJson({ a: [1, { b: null }], c: {} })).toBe('{\n  "a": [\n    1,\n    {"b": null}\n  ],\n  "c": {}\n}');
  });
});

describe('the streamed JSON report (replayJsonChunks)', () => {
  // the text the report was before it was streamed: the whole value through prettyJson, then markPartial's `partial` first
  const whole = (i: Parameters<typeof replayJson>[0], partial?: { skippedLines: number; first: string }): string =>
    markPartial(`${prettyJson(replayJson(i))}\n`, 'json', partial);

  test.prop(
    [arbStream(80), fc.boolean(), fc.option(fc.integer({ min: BASE - 2, max: BASE + 2100 }), { nil: undefined }), fc.boolean(), fc.nat({ max: 5000 })],
    { numRuns: 80, seed: 16 },
  )('is byte for byte the whole document, whatever the state, --pfn, --pages and partial marker', (events, pages, pfn, partial, batch) => {
    const r = foldAll(events);
    const i = { profile: null, kconfig: { CONFIG_FS_DAX: 'y' }, events: events.length, state: r.state, findings: r.findings, pages, ...(pfn !== undefined ? { pfn } : {}) };
    const p = partial ? { skippedLines: 2, first: 'f.jsonl:3:1 BAD_JSON x' } : undefined;
    const expected = whole(i, p);
    expect([...replayJsonChunks(i, p)].join('')).toBe(expected);
    expect([...batched(replayJsonChunks(i, p), 1 + batch)].join('')).toBe(expected);
    if (!p) expect(formatReplayJson(i)).toBe(expected);
  });

  it('writes a folio at a time: one piece per folio, none holding the document', () => {
    const pieces = [...replayJsonChunks(input)];
    expect(pieces.filter((x) => x.includes('"head"'))).toHaveLength(replayJson(input).folios.length);
    expect(pieces.join('')).toBe(whole(input));
    // an empty state: empty arrays on one line, as prettyJson prints them
    const empty = { ...input, state: foldAll([]).state, findings: [] };
    expect([...replayJsonChunks(empty)].join('')).toBe(whole(empty));
    expect(whole(empty)).toContain('"folios": [],');
  });
});

describe('formatReplayText', () => {
  it('prints a folio table, then the findings', () => {
    const r = foldAll(numbered([fsdaxInit(0), mod(0x40010, 1), mod(0x40011, 1), mod(0x40011, -2)]));
    expect(formatReplayText({ profile: null, kconfig: {}, events: 4, state: r.state, findings: r.findings })).toBe(
      [
        'profile: none (RefEvent replay)    events: 4    folios: 2',
        '',
        'head     order  refcount  mapcount  pincount  pgmap  mapping',
        '0x40010  0      1         0         -         pmem0  -',
        '0x40011  0      -1        0         -         pmem0  -',
        '',
        'findings (1):',
        'seq #4 refcount-underflow (put_page_testzero): refcount of pfn 0x40011 fell from 1 to -1',
        '',
      ].join('\n'),
    );
  });
});
