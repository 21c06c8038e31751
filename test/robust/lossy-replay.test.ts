/**
 * Lossy input under `replay` (issue #15 item 4): a trace's `LOST n EVENTS` or
 * `n EVENTS DROPPED` marker, an overwritten ring buffer, and a JSONL seq gap make every
 * finding from the first loss on `unknown` (listed apart, not counted for the exit
 * code), and the report says how many events were lost and where. Without the marker
 * the same damage stays a finding, so the loss is what changes the verdict.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process.ts';
import { root, scratch } from './helpers.ts';

const dir = scratch('dax-refsim-lossy-replay-');
const DBG = readFileSync(join(root, 'events/traces/k72dbg-ext4-daxwork.trace.txt'), 'utf8').split('\n');
/** The first event of pfn 0x48050 (page_ref_mod val=1 count=1), 1-based. */
const FIRST = DBG.findIndex((l) => /page_ref_mod: pfn=0x48050 /.test(l)) + 1;

function put(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n'));
  return path;
}

/** The trace with line FIRST replaced by `by` (nothing: the event is just gone). */
const withFirst = (name: string, by: readonly string[]): string => put(name, [...DBG.slice(0, FIRST - 1), ...by, ...DBG.slice(FIRST)]);

interface ReplayDoc {
  findings: { code: string; seq: number }[];
  lost?: { events: number; at: { line: number; cpu: number | null; events: number; how: string }[]; fromSeq: number; unknown: { code: string; seq: number; message: string }[] };
}

describe('replay of a page_ref trace that lost events', () => {
  it('without a marker, the missing event is an untraced-change finding, exit 1', async () => {
    const r = await cli('replay', withFirst('gone.txt', []), '--format', 'json');
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as ReplayDoc;
    expect(doc.findings.map((f) => [f.code, f.seq])).toEqual([['untraced-change', 7]]);
    expect(doc.lost).toBeUndefined();
  });

  it.each([
    ['ftrace', 'CPU:1 [LOST 1 EVENTS]', 'LOST'],
    ['trace-cmd', 'CPU:1 [1 EVENTS DROPPED]', 'DROPPED'],
  ])("%s's marker: the finding is unknown, exit 0, the loss reported with its line", async (_tracer, marker, how) => {
    const path = withFirst(`${how}.txt`, [marker]);
    const json = await cli('replay', path, '--format', 'json');
    expect(json.status).toBe(0);
    const doc = JSON.parse(json.stdout) as ReplayDoc;
    expect(doc.findings).toEqual([]);
    expect(doc.lost).toMatchObject({ events: 1, at: [{ line: FIRST, cpu: 1, events: 1, how }], fromSeq: 7 });
    expect(doc.lost!.unknown.map((f) => [f.code, f.seq])).toEqual([['untraced-change', 7]]);
    const text = await cli('replay', path);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('findings: none\n');
    expect(text.stdout).toContain(`lost: 1 event(s) at line ${FIRST} (CPU 1, ${how}); from seq #7 on a finding is unknown (a lost event may explain it)\nunknown (1):\nseq #7 untraced-change (page_ref_mod): trace line ${FIRST + 3}: `);
  });

  it('entries-in-buffer/entries-written showing overwrites: unknown from the first event', async () => {
    const lines = DBG.map((l) => l.replace('# entries-in-buffer/entries-written: 237/237', '# entries-in-buffer/entries-written: 237/5000'));
    const path = put('overwritten.txt', [...lines.slice(0, FIRST - 1), ...lines.slice(FIRST)]);
    const r = await cli('replay', path, '--format', 'json');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as ReplayDoc;
    expect(doc.findings).toEqual([]);
    expect(doc.lost).toMatchObject({ events: 4763, at: [{ line: 0, cpu: null, events: 4763, how: 'overwritten' }], fromSeq: 1 });
    expect(doc.lost!.unknown.map((f) => f.code)).toEqual(['untraced-change']);
    expect((await cli('replay', path)).stdout).toContain('lost: 4763 event(s) before the first event (entries-in-buffer/entries-written: the ring buffer overwrote them); from seq #1 on');
  });
});

describe('replay of a JSONL stream with a seq gap', () => {
  const EX = readFileSync(join(root, 'events/examples/legacy-fsdax-get-put.jsonl'), 'utf8').trimEnd().split('\n');
  // seq 6 is the mod_unless (+1) of try_grab_folio_fast: without it the later puts find one reference too few
  const dropped = EX.filter((l) => !l.startsWith('{"seq":6,'));

  it('renumbered without a gap, the missing +1 is a finding, exit 1', async () => {
    const renumbered = dropped.map((l, i) => (i === 0 ? l : l.replace(/^\{"seq":\d+,/, `{"seq":${i},`)));
    const r = await cli('replay', put('renumbered.jsonl', renumbered), '--format', 'json');
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as ReplayDoc).findings.map((f) => f.code)).toEqual(['ret-mismatch']);
  });

  it('with the gap (seq 5 then 7): the finding is unknown, exit 0, the gap named by its line', async () => {
    const path = put('gap.jsonl', dropped);
    const r = await cli('replay', path, '--format', 'json');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as ReplayDoc;
    expect(doc.findings).toEqual([]);
    expect(doc.lost).toMatchObject({ events: 1, at: [{ line: 7, cpu: null, events: 1, how: 'seq gap' }], fromSeq: 7 });
    expect(doc.lost!.unknown).toEqual([expect.objectContaining({ code: 'ret-mismatch', seq: 9, message: 'mod_and_return on pfn 0x40200 recorded ret=1, the state gives 0' })]);
    const text = await cli('replay', path);
    expect(text.stdout).toContain('findings: none\n\nlost: 1 event(s) before line 7 (a seq gap); from seq #7 on a finding is unknown (a lost event may explain it)\nunknown (1):\nseq #9 ret-mismatch');
  });

  it('a stream without gaps reports no loss', async () => {
    const r = await cli('replay', join(root, 'events/examples/legacy-fsdax-get-put.jsonl'), '--format', 'json');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('"lost"');
  });
});
