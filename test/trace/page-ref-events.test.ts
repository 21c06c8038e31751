/**
 * page_ref trace text → RefEvents → state: the conversion (spec §9.1), the struct
 * pages a recording implies (the header's ranges, a section for a pfn outside them),
 * the resync of untraced changes (a finding, never silent), the recorded traces'
 * exact refcounts, streaming in chunks of any size, and stateAt on a trace.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { headerMemmaps, pageRefEvent, priorCount, sectionMemmap, type PageRefRead } from '../../src/trace/page-ref-events.ts';
import { parseTraceText } from '../../src/trace/read-trace.ts';
import { replayTraceFile, stateAtTrace } from '../../src/engine/replay-trace.ts';
import { replayFile, sniffFormat, stateAt } from '../../src/engine/replay-file.ts';
import { getPage } from '../../src/state/accessors.ts';
import { modelFor } from '../../src/models/index.ts';
import type { SimState } from '../../src/state/sim-state.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-pageref-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const rec = (op: PageRefRead['op'], count: number, val: number, ret: number | null = null): PageRefRead => ({ op, pfn: 0x48000, count, val, ret });

function line(op: string, pfn: number, count: number, val: number, ret?: number, ts = '4.000001'): string {
  return `         daxwork-319     [001] .....     ${ts}: page_ref_${op}: pfn=0x${pfn.toString(16)} flags=reserved count=${count} mapcount=-1 mapping=0000000062079d63 mt=1 val=${val}${ret === undefined ? '' : ` ret=${ret}`}`;
}

function header(kernel: string | null, pmem = '40000000-5fffffff'): string {
  return [...(kernel ? [`KTRACE-BEGIN kernel=${kernel} fs=ext4 work=t`] : []), `# pmem: ${pmem} : Persistent Memory (legacy);`, '# tracer: nop', '#'].join('\n');
}

function refcounts(state: SimState, pfns: readonly number[]): number[] {
  return pfns.map((p) => getPage(state, p)?.refcount ?? -99);
}

describe('page_ref → RefEvent', () => {
  it('keeps val and ret as recorded, ret only where the event class prints it', () => {
    expect(pageRefEvent(rec('set', 1, 1), 3)).toEqual({ seq: 3, type: 'set', pfn: 0x48000, val: 1 });
    expect(pageRefEvent(rec('mod', 2, 1), 4)).toEqual({ seq: 4, type: 'mod', pfn: 0x48000, val: 1 });
    expect(pageRefEvent(rec('unfreeze', 2, 2), 5)).toEqual({ seq: 5, type: 'unfreeze', pfn: 0x48000, val: 2 });
    expect(pageRefEvent(rec('mod_and_test', 0, -1, 1), 6)).toEqual({ seq: 6, type: 'mod_and_test', pfn: 0x48000, val: -1, ret: 1 });
    expect(pageRefEvent(rec('mod_and_return', 1, -1, 1), 7)).toEqual({ seq: 7, type: 'mod_and_return', pfn: 0x48000, val: -1, ret: 1 });
    expect(pageRefEvent(rec('mod_unless', 0, 1, 0), 8)).toEqual({ seq: 8, type: 'mod_unless', pfn: 0x48000, val: 1, ret: 0 });
    expect(pageRefEvent(rec('freeze', 0, 3, 1), 9)).toEqual({ seq: 9, type: 'freeze', pfn: 0x48000, val: 3, ret: 1 });
  });

  it('knows the count before each event from the count after it', () => {
    expect(priorCount(rec('set', 5, 5))).toBeNull();
    expect(priorCount(rec('mod', 1025, 1024))).toBe(1);
    expect(priorCount(rec('mod_and_test', 0, -1, 1))).toBe(1);
    expect(priorCount(rec('mod_and_return', 1, -1, 1))).toBe(2);
    expect(priorCount(rec('mod_unless', 2, 1, 1))).toBe(1);
    expect(priorCount(rec('mod_unless', 0, 1, 0))).toBe(0);
    expect(priorCount(rec('freeze', 0, 3, 1))).toBe(3);
    expect(priorCount(rec('freeze', 2, 3, 0))).toBe(2);
    expect(priorCount(rec('unfreeze', 3, 3))).toBe(0);
  });

  it('gives the header ranges the profile idle refcount, device-dax as compound generic pgmaps', () => {
    const k72 = parseTraceText(readFileSync('events/traces/k72dbg-ext4-daxwork.trace.txt', 'utf8'), 'k72').header;
    const unified = modelFor(undefined, { kernel: '7.2.13' });
    expect(headerMemmaps(k72, (t) => unified.idleRefcount(t))).toEqual([
      { seq: 0, type: 'memmap_init', pfn: 0x40000, nr: 0x20000, pgmap: 'pmem0', pgmapType: 'fsdax', refcount: 0, vmemmapShift: 0 },
    ]);
    const legacy = modelFor(undefined, { kernel: '6.12.117' });
    expect(headerMemmaps(k72, (t) => legacy.idleRefcount(t))[0]?.refcount).toBe(1);
    const devdax = parseTraceText(readFileSync('events/traces/k72-devdax-devdaxwork.trace.txt', 'utf8'), 'dd').header;
    expect(headerMemmaps(devdax, (t) => unified.idleRefcount(t))).toEqual([
      { seq: 0, type: 'memmap_init', pfn: 0x140000, nr: 0x40000, pgmap: 'dax0.0', pgmapType: 'generic', refcount: 1, vmemmapShift: 18 },
      { seq: 0, type: 'memmap_init', pfn: 0x100000, nr: 0x40000, pgmap: 'pmem0', pgmapType: 'fsdax', refcount: 0, vmemmapShift: 0 },
      { seq: 0, type: 'memmap_init', pfn: 0x180000, nr: 0, pgmap: 'pmem0.2', pgmapType: 'fsdax', refcount: 0, vmemmapShift: 0 },
    ].filter((e) => e.nr > 0));
  });

  it('gives a pfn outside every range its own section, clipped to the gap', () => {
    const ranges = [{ pgmap: 'pmem0', pgmapType: 'fsdax' as const, pfn: 0x40000, nr: 0x4100, refcount: 0, vmemmapShift: 0 }];
    expect(sectionMemmap(0x45000, ranges, { pgmapType: 'fsdax', refcount: 0 }, 7)).toEqual({
      seq: 7, type: 'memmap_init', pfn: 0x44100, nr: 0x48000 - 0x44100, pgmap: 'section-0x8', pgmapType: 'fsdax', refcount: 0, vmemmapShift: 0,
    });
  });
});

describe('replaying page_ref traces', () => {
  const K72 = [0x48050, 0x48051, 0x48052, 0x48053, 0x48054, 0x48055, 0x48058, 0x48400, 0x48600];

  it.each(['k72dbg-ext4-daxwork.trace.txt', 'k72dbg-ext4-daxwork.tracecmd.txt', 'k72dbg-ext4-daxwork.tracecmd-t.txt'])('%s: unified@7.2, 49 events, every page back at 0, no finding', async (name) => {
    const path = `events/traces/${name}`;
    expect(await sniffFormat(path)).toBe('trace');
    const r = await replayTraceFile(path);
    expect(r.model?.name).toBe('unified@7.2');
    expect(r.inputs).toBe(49);
    expect(r.errorCount).toBe(0);
    expect(r.findings).toEqual([]);
    expect(refcounts(r.state, K72)).toEqual(K72.map(() => 0));
  });

  it('k72dbg: the refcounts of its .md at each phase (pin at 1025, vmsplice 2, PMD pin 3)', async () => {
    const path = 'events/traces/k72dbg-ext4-daxwork.trace.txt';
    const r = await replayFile(path, { checkpointEvery: 8 });
    const at = async (n: number): Promise<number[]> => refcounts((await stateAt(path, n, r.checkpoints)).state, [0x48050, 0x48600, 0x48058]);
    expect(await at(3)).toEqual([0, 1, 0]); // PMD write fault: 0→1→2→1 on the head
    expect(await at(19)).toEqual([1025, 1, 0]); // process_vm_readv pin (+1024) on a mapped page
    expect(await at(21)).toEqual([1, 1, 0]); // unpin
    expect(await at(24)).toEqual([1, 3, 0]); // PMD-folio pin of 2 subpages on the head
    expect(await at(39)).toEqual([1, 1, 2]); // vmsplice get (mod_unless)
    expect(await at(49)).toEqual([0, 0, 0]);
  });

  it('k612dbg: legacy@6.12, idle 1: every pinned page back at 1 (mod_and_return ret=1)', async () => {
    const r = await replayTraceFile('events/traces/k612dbg-ext4-daxwork.trace.txt');
    expect(r.model?.name).toBe('legacy@6.12');
    expect(r.inputs).toBe(14);
    expect(r.findings).toEqual([]);
    expect(refcounts(r.state, [0x48050, 0x48051, 0x48054, 0x48055, 0x48058, 0x48600, 0x48601])).toEqual([1, 1, 1, 1, 1, 1, 1]);
    const mid = await stateAtTrace('events/traces/k612dbg-ext4-daxwork.trace.txt', 5, r);
    expect(refcounts(mid.state, [0x48600, 0x48601])).toEqual([1025, 1]);
  });

  it('folds a set to the recorded prior count and reports an untraced change (warn), never silently', async () => {
    // the put from 2 → 1 was lost: the next event records count=0 after val=-1, prior 1, but the state has 2
    const text = [header('7.2.13'), line('mod', 0x48000, 1, 1), line('mod', 0x48000, 2, 1), line('mod_and_test', 0x48000, 0, -1, 1), 'KTRACE-END', ''].join('\n');
    const r = await replayTraceFile(file('gap.txt', text));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ code: 'untraced-change', severity: 'warn', seq: 3, pfn: 0x48000, function: 'page_ref_mod_and_test' });
    expect(r.findings[0]?.message).toContain('implies a count of 1 before it, but the replay has 2');
    expect(getPage(r.state, 0x48000)?.refcount).toBe(0);
    expect(r.refEvents).toBe(3);
    expect(r.state.events).toBe(5); // the header's memmap_init, three recorded events and the resync set
  });

  it('gives a pfn outside the pmem range a section of its own on first sight', async () => {
    const text = [header('6.12.1'), line('mod', 0x90001, 2, 1), ''].join('\n');
    const r = await replayTraceFile(file('outside.txt', text));
    expect(r.findings).toEqual([]);
    expect(getPage(r.state, 0x90001)).toMatchObject({ refcount: 2, word1: 'section-0x12' });
    expect(r.state.ranges.map((x) => [x.pgmap, x.pfn, x.nr, x.refcount])).toEqual([['pmem0', 0x40000, 0x20000, 1], ['section-0x12', 0x90000, 0x8000, 1]]);
  });

  it('streams: any chunk size, CRLF line ends and a last line without newline give the same state', async () => {
    const body = [line('mod', 0x48001, 1, 1), line('mod_unless', 0x48001, 2, 1, 1), line('mod_and_return', 0x48001, 1, -1, 1), line('freeze', 0x48001, 0, 1, 1), line('unfreeze', 0x48001, 1, 1), line('set', 0x48002, 5, 5)];
    const lf = file('lf.txt', `${header('7.2.13')}\n${body.join('\n')}\n`);
    const crlf = file('crlf.txt', `${header('7.2.13')}\r\n${body.join('\r\n')}`);
    const ref = await replayTraceFile(lf);
    expect(refcounts(ref.state, [0x48001, 0x48002])).toEqual([1, 5]);
    for (const [path, chunkBytes] of [[lf, 7], [crlf, 5], [crlf, 1 << 20]] as const) {
      const r = await replayTraceFile(path, { chunkBytes });
      expect(r.inputs).toBe(6);
      expect(r.findings).toEqual([]);
      expect(refcounts(r.state, [0x48001, 0x48002])).toEqual([1, 5]);
    }
  });

  it('skips lines that are not page_ref events, and reports a bad page_ref line with its column', async () => {
    const text = [header('7.2.13'), '         daxwork-319     [001] .....     4.000000: tracing_mark_write: PHASE x', line('mod', 0x48000, 1, 1), '         daxwork-319     [001] .....     4.000002: page_ref_mod: pfn=zz count=1 val=1', ''].join('\n');
    const r = await replayTraceFile(file('bad.txt', text));
    expect(r.inputs).toBe(1);
    expect(r.errorCount).toBe(1);
    expect(r.issues[0]).toMatchObject({ code: 'BAD_FIELD', line: 7, severity: 'error' });
  });

  it('needs a model when the header names no kernel', async () => {
    const path = file('nokernel.txt', `${header(null)}\n${line('mod', 0x48000, 1, 1)}\n`);
    await expect(replayTraceFile(path)).rejects.toThrow('names no kernel');
    const r = await replayTraceFile(path, { model: modelFor('legacy') });
    expect(getPage(r.state, 0x48000)?.refcount).toBe(1);
    expect(r.findings[0]?.code).toBe('untraced-change'); // legacy idle is 1, the trace says 0 → 1
  });

  it('stateAt on a trace equals the replay of its first N events, from any checkpoint', async () => {
    const ops = ['mod', 'mod', 'mod_and_test'];
    const lines: string[] = [];
    const counts = new Map<number, number>();
    for (let i = 0; i < 90; i++) {
      const pfn = 0x48000 + ((i * 7) % 5);
      const c = counts.get(pfn) ?? 0;
      const op = ops[i % 3]!;
      const next = op === 'mod' ? c + 1 : c - 1;
      counts.set(pfn, next);
      lines.push(line(op, pfn, next, op === 'mod' ? 1 : -1, op === 'mod' ? undefined : next === 0 ? 1 : 0, `4.${String(i).padStart(6, '0')}`));
    }
    const path = file('many.txt', `${header('7.2.13')}\n${lines.join('\n')}\n`);
    const full = await replayFile(path, { checkpointEvery: 16 });
    expect(full.format).toBe('trace');
    for (const n of [0, 1, 15, 16, 17, 50, 89, 90]) {
      const at = await stateAt(path, n, full.checkpoints);
      const prefix = await replayTraceFile(file(`prefix-${n}.txt`, `${header('7.2.13')}\n${lines.slice(0, n).join('\n')}\n`));
      const pfns = [0x48000, 0x48001, 0x48002, 0x48003, 0x48004];
      expect(refcounts(at.state, pfns)).toEqual(refcounts(prefix.state, pfns));
      expect(at.state.events).toBe(prefix.state.events);
    }
    await expect(stateAt(path, 91, full.checkpoints)).rejects.toThrow(RangeError);
  });
});
