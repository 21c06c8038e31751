/**
 * events/examples/: every line is valid, and each stream ends in exactly the values
 * its README states.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayFile, stateAt } from '../../src/engine/replay.ts';
import { replayJson } from '../../src/report/replay-json.ts';

const dir = resolve(import.meta.dirname, '../../events/examples');
const report = async (name: string, opts: { at?: number; pfn?: number } = {}) => {
  const r = await replayFile(join(dir, name));
  expect(r.issues).toEqual([]);
  const at = opts.at === undefined ? undefined : await stateAt(r.file, opts.at, r.checkpoints);
  return replayJson({
    profile: null, kconfig: {}, events: at?.inputs ?? r.inputs, state: at?.state ?? r.state, findings: r.findings,
    ...(opts.pfn !== undefined ? { pfn: opts.pfn } : {}),
  });
};

describe('events/examples', () => {
  it('holds at least three RefEvent streams, each with a header', async () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const r = await replayFile(join(dir, f));
      expect(r.issues, f).toEqual([]);
      expect(r.header, f).toEqual({ schema: 'dax-refsim/1', kind: 'refevents', profile: null });
    }
  });

  it('legacy-fsdax-get-put: a GUP get takes the idle page to 2, the put returns it to 1 and wakes', async () => {
    const doc = await report('legacy-fsdax-get-put.jsonl');
    expect(doc.events).toBe(11);
    expect(doc.folios).toEqual([{ head: '0x40200', order: 0, pfns: ['0x40200', '0x40200'], refcount: 1, mapcount: 0, pincount: null, maybeDmaPinned: false, pgmap: 'pmem0', mapping: 'inode:12', index: 0, share: 0 }]);
    expect(doc.findings).toEqual([]);
    expect((await report('legacy-fsdax-get-put.jsonl', { at: 6 })).folios[0]?.refcount).toBe(2);
  });

  it('fsdax-order9-pin-split: pinned through a tail at input 9, split into 512 idle order-0 folios at the end', async () => {
    const at9 = await report('fsdax-order9-pin-split.jsonl', { at: 9, pfn: 0x40305 });
    expect(at9.folios).toEqual([{ head: '0x40200', order: 9, pfns: ['0x40200', '0x403ff'], refcount: 2, mapcount: 1, pincount: 1, maybeDmaPinned: true, pgmap: 'pmem0', mapping: 'inode:7', index: 0, share: 0 }]);
    const end = await report('fsdax-order9-pin-split.jsonl');
    expect(end.events).toBe(18);
    expect(end.findings).toEqual([]);
    expect(end.folios).toHaveLength(512);
    expect(end.folios[0]).toEqual({ head: '0x40200', order: 0, pfns: ['0x40200', '0x40200'], refcount: 0, mapcount: 0, pincount: null, maybeDmaPinned: false, pgmap: 'pmem0', mapping: null, index: 0, share: 0 });
    expect(end.folios[511]?.head).toBe('0x403ff');
    expect(end.folios.every((f) => f.order === 0 && f.refcount === 0 && f.mapcount === 0 && f.mapping === null && f.pgmap === 'pmem0')).toBe(true);
  });

  it('refcount-underflow: a put on a freed page and an underflow, as two findings', async () => {
    const doc = await report('refcount-underflow.jsonl');
    expect(doc.folios.map((f) => [f.head, f.refcount])).toEqual([['0x40010', -1], ['0x40011', -1]]);
    expect(doc.findings.map((f) => [f.seq, f.code, f.pfn])).toEqual([[4, 'put-on-freed-page', '0x40010'], [6, 'refcount-underflow', '0x40011']]);
  });
});
