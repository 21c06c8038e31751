/**
 * replayFile streams a JSONL file through replayWith; stateAt re-reads it from the
 * nearest checkpoint's byte offset. `--at N` (stateAt) must equal a replay of the
 * first N inputs, whichever checkpoint it starts from.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { findingsAt, replayFile, stateAt } from '../../src/engine/replay.ts';
import { foldAll, runOps } from '../../src/engine/runner.ts';
import { formatJsonl, formatRefEvent } from '../../src/events/jsonl.ts';
import type { Op } from '../../src/events/op.ts';
import { getPage } from '../../src/state/accessors.ts';
import { modelFor } from '../../src/models/index.ts';
import { arbStream, snapshot } from '../fixtures/streams.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string): string => {
  const path = join(dir, `t${n++}.jsonl`);
  writeFileSync(path, text);
  return path;
};

describe('replayFile', () => {
  it('replays a RefEvent file like foldAll, with checkpoints at byte offsets of line starts', async () => {
    const events = fc.sample(arbStream(60), { numRuns: 1, seed: 42 })[0]!;
    // a header and a blank line: neither is an input
    const text = formatJsonl({ kind: 'refevents', profile: null }, events).replace('\n', '\n\n');
    const path = file(text);
    const r = await replayFile(path, { checkpointEvery: 5 });
    const ref = foldAll(events);
    expect(r.kind).toBe('refevents');
    expect(r.header).toEqual({ schema: 'dax-refsim/1', kind: 'refevents', profile: null });
    expect(r.inputs).toBe(events.length);
    expect(r.lines).toBe(events.length + 2);
    expect(r.issues).toEqual([]);
    expect(snapshot(r.state)).toEqual(snapshot(ref.state));
    expect(r.findings).toEqual(ref.findings);
    expect(r.checkpoints.map((c) => c.inputs)).toEqual(Array.from({ length: Math.floor(events.length / 5) + 1 }, (_, i) => i * 5));
    const bytes = readFileSync(path);
    for (const cp of r.checkpoints.slice(1)) {
      expect(bytes[cp.offset - 1]).toBe(0x0a);
      // the line at the offset is the input after the checkpoint (line = input + 2: header, blank)
      expect(cp.line).toBe(cp.inputs + 3);
      const next = bytes.subarray(cp.offset, bytes.indexOf(0x0a, cp.offset)).toString();
      expect(next).toBe(formatRefEvent(events[cp.inputs]!));
    }
  });

  it('collects positioned issues and skips the bad lines', async () => {
    const path = file('{"seq":1,"type":"memmap_init","pfn":1,"nr":1,"pgmap":"p","pgmapType":"fsdax","refcount":1,"vmemmapShift":0}\n{"seq":2,"type":"mod","pfn":1}\n{"seq":3,"type":"nope"}\n{"seq":4,"type":"mod","pfn":1,"val":1}\n{"seq":5,"type":"mod","pf');
    const r = await replayFile(path, { file: 'x.jsonl' });
    expect(r.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.code}`)).toEqual(['x.jsonl:2:1 BAD_FIELD', 'x.jsonl:3:17 UNKNOWN_TYPE', 'x.jsonl:5:26 TRUNCATED_LINE']);
    expect(r.inputs).toBe(2);
    expect(getPage(r.state, 1)?.refcount).toBe(2);
  });

  it('streams a file far larger than one read buffer', async () => {
    const lines = ['{"seq":1,"type":"memmap_init","pfn":0,"nr":1048576,"pgmap":"p","pgmapType":"fsdax","refcount":0,"vmemmapShift":0}'];
    for (let i = 2; i <= 30001; i++) lines.push(`{"seq":${i},"type":"mod","pfn":${(i * 7919) % 4096},"val":1}`);
    const r = await replayFile(file(`${lines.join('\n')}\n`), { checkpointEvery: 4096 });
    expect(r.inputs).toBe(30001);
    expect(r.refEvents).toBe(30001);
    expect(r.checkpoints).toHaveLength(8);
    let total = 0;
    for (let pfn = 0; pfn < 4096; pfn++) total += getPage(r.state, pfn)?.refcount ?? 0;
    expect(total).toBe(30000);
    const at = await stateAt(r.file, 20000, r.checkpoints);
    expect(at.checkpoint.inputs).toBe(16384);
    expect(at.inputs).toBe(20000);
    let partial = 0;
    for (let pfn = 0; pfn < 4096; pfn++) partial += getPage(at.state, pfn)?.refcount ?? 0;
    expect(partial).toBe(19999);
  });

  it('rejects a missing file with "file: not found"', async () => {
    await expect(replayFile(join(dir, 'missing.jsonl'), { file: 'missing.jsonl' })).rejects.toThrow('missing.jsonl: not found');
  });

  it('replays an Op file through a model like runOps', async () => {
    const ops: Op[] = [
      { seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 },
      { seq: 2, type: 'dax.fault', mm: 'mm1', vma: { start: 0x7f0000000000, end: 0x7f0000200000, shared: true, file: 'inode:12', pgoff: 0 }, address: 0x7f0000000000, file: 'inode:12', pgoff: 0, pfn: 0x40200, level: 'pte', write: true, vmaShared: true, reflink: false },
      { seq: 3, type: 'gup.get', mm: 'mm1', pfn: 0x40200, nr: 1, fast: true },
      { seq: 4, type: 'put', pfn: 0x40200, nr: 1 },
    ];
    for (const spec of ['legacy', 'unified']) {
      const model = modelFor(spec);
      const path = file(formatJsonl({ kind: 'ops', profile: model.profile.name }, ops));
      const r = await replayFile(path, { model, checkpointEvery: 2 });
      const ref = runOps(modelFor(spec), ops);
      expect(r.kind).toBe('ops');
      expect(r.inputs).toBe(4);
      expect(snapshot(r.state)).toEqual(snapshot(ref.state));
      expect(r.findings).toEqual(ref.findings);
      const at3 = await stateAt(path, 3, r.checkpoints, { model });
      expect(snapshot(at3.state)).toEqual(snapshot(runOps(modelFor(spec), ops.slice(0, 3)).state));
    }
  });
});

describe('stateAt', () => {
  test.prop([arbStream(50), fc.nat(), fc.constantFrom(1, 4, 16, 0)], { numRuns: 40 })('equals the replay of the first N inputs', async (events, pick, every) => {
    const path = file(formatJsonl({ kind: 'refevents', profile: null }, events));
    const full = await replayFile(path, { checkpointEvery: every });
    const at = pick % (events.length + 1);
    const snap = await stateAt(path, at, full.checkpoints);
    const ref = foldAll(events.slice(0, at));
    expect(snap.inputs).toBe(at);
    expect(snapshot(snap.state)).toEqual(snapshot(ref.state));
    expect(findingsAt(full.findings, snap)).toEqual(ref.findings);
  });

  it('refuses an N past the end of the file', async () => {
    const path = file('{"seq":1,"type":"split","pfn":1}\n');
    const full = await replayFile(path);
    await expect(stateAt(path, 2, full.checkpoints)).rejects.toThrow(RangeError);
  });
});
