/**
 * Lossy and noisy input (issue #12 item 6, issue #15 item 4 and its scheduler row):
 * lost events make later disagreements unknown, never mismatches or findings, and the
 * report says how many and where; unrelated events between related ones change
 * nothing; compressed inputs and trace.dat read as their text does.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracePath, traceText } from '../lift/fixtures.ts';
import { pageRefOnly } from '../fixtures/trace-variants.ts';
import { check, checkDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-lossy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function temp(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The lines of a text, edited: `at` (1-based line) → replacement lines. */
function edit(text: string, edits: Readonly<Record<number, (line: string) => string[]>>): string {
  return text.split('\n').flatMap((l, i) => edits[i + 1]?.(l) ?? [l]).join('\n');
}

describe('lost events (LOST, DROPPED, an overwritten ring buffer)', () => {
  const base = pageRefOnly(traceText('k72dbg-ext4-daxwork.trace.txt'));
  const lines = base.split('\n');
  // the first event of pfn 0x48050 (page_ref_mod val=1 count=1): dropping it leaves the next event one short
  const first = lines.findIndex((l) => /page_ref_mod: pfn=0x48050 /.test(l)) + 1;

  it('without a loss marker, a missing first event mismatches the resting count, a later one is an untraced change', async () => {
    const gap = await checkDoc({ trace: temp('gap.txt', edit(base, { [first]: () => [] })) });
    expect(gap.code).toBe(1);
    expect(gap.doc.mismatches).toEqual([{ line: first, pfn: '0x48050', field: 'count before', recorded: 1, simulated: 0, function: 'page_ref_mod' }]);
    // the second +1 (count=2) dropped: the fault's put finds 2 where the replay has 1
    const { code, doc } = await checkDoc({ trace: temp('gap2.txt', edit(base, { [first + 1]: () => [] })) });
    expect(code).toBe(0);
    expect(doc.untraced).toEqual([{ pfn: '0x48050', field: 'count', before: 1, after: 2, lines: [first, first + 1] }]);
  });
  it.each([
    ['ftrace', 'CPU:1 [LOST 1 EVENTS]', 'LOST'],
    ['trace-cmd', 'CPU:1 [1 EVENTS DROPPED]', 'DROPPED'],
  ])('%s\'s marker: every later disagreement is unknown, the loss is reported with its line', async (_, marker, how) => {
    const path = temp(`${how}.txt`, edit(base, { [first]: () => [marker] }));
    const { code, doc } = await checkDoc({ trace: path });
    expect(code).toBe(0);
    expect(doc.mismatches).toEqual([]);
    expect(doc.untraced).toEqual([]);
    expect(doc.findings).toEqual([]);
    expect(doc.lost).toEqual({ events: 1, at: [{ line: first, cpu: 1, events: 1, how }] });
    expect(doc.unknowns).toContainEqual({ line: first + 1, pfn: '0x48050', field: 'count before', recorded: 1, simulated: 0, function: 'page_ref_mod', reason: `1 event(s) lost from line ${first} on: a change the trace does not hold may explain the difference` });
    const r = await check({ trace: path });
    expect(r.stdout).toContain(`lost: 1 event(s) at line ${first} (CPU 1, ${how}); later disagreements are unknown`);
    expect(r.stdout).toMatch(/, 1 events lost\n/);
  });
  it('entries-in-buffer/entries-written showing overwrites: unknown from the start', async () => {
    const full = traceText('k72dbg-ext4-daxwork.trace.txt').replace('# entries-in-buffer/entries-written: 237/237', '# entries-in-buffer/entries-written: 237/5000');
    const noFirst = edit(full, { [full.split('\n').findIndex((l) => /page_ref_mod: pfn=0x48050 /.test(l)) + 1]: () => [] });
    const { code, doc } = await checkDoc({ trace: temp('overwritten.txt', noFirst) });
    expect(code).toBe(0);
    expect(doc.lost).toEqual({ events: 4763, at: [{ line: 0, cpu: null, events: 4763, how: 'overwritten' }] });
    expect(doc.mismatches).toEqual([]);
    expect(doc.untraced).toEqual([]);
    expect(doc.unknown).toBeGreaterThan(0);
  });
});

describe('unrelated events between related ones change nothing (issue #15)', () => {
  const noise = (task: string): string[] => [
    `          <idle>-0       [001] d.s2.     4.480000: softirq_entry: vec=1 [action=TIMER]`,
    `         ${task} [001] d..2.     4.480001: sched_switch: prev_comm=daxwork prev_pid=319 prev_prio=120 prev_state=R ==> next_comm=kworker/1:1 next_pid=42 next_prio=120`,
    `          <idle>-0       [001] d.h1.     4.480002: irq_handler_entry: irq=11 name=virtio0`,
  ];
  it('the k72dbg trace with scheduler, softirq and IRQ lines before every page_ref line: the same verdict', async () => {
    const text = traceText('k72dbg-ext4-daxwork.trace.txt');
    const noisy = text.split('\n').flatMap((l) => (/page_ref_/.test(l) && !l.startsWith('#') ? [...noise('daxwork-319    '), l] : [l])).join('\n');
    const clean = (await checkDoc({ trace: tracePath('k72dbg-ext4-daxwork.trace.txt') })).doc;
    const { code, doc } = await checkDoc({ trace: temp('noisy.txt', noisy) });
    expect(code).toBe(0);
    expect(doc).toMatchObject({ observations: clean.observations, matched: clean.matched, unknown: 0, mismatches: [], untraced: [], findings: [] });
    // 49 page_ref lines, three unrelated events before each
    expect(doc.skipped).toEqual([{ event: 'irq_handler_entry', count: 49 }, { event: 'sched_switch', count: 49 }, { event: 'softirq_entry', count: 49 }]);
  });

  // two probes on one function entry fire at one hit and share its marker; a line
  // between them used to part them (the second's 3 fields became unknown)
  it('a sched_switch between the two probes of one vmf_insert_folio_pud() entry: the same verdict', async () => {
    const lines = traceText('k72-devdax-devdaxwork.trace.txt').split('\n');
    const i = lines.findIndex((l) => / folio_pgmap: \(vmf_insert_folio_pud\+/.test(l));
    expect(lines[i - 1]).toMatch(/ vmf_insert_folio_pud: \(vmf_insert_folio_pud\+/);
    const prefix = /^(.*? \d+\.\d+: )/.exec(lines[i]!)![1]!;
    lines.splice(i, 0, `${prefix}sched_switch: prev_comm=devdaxwork prev_pid=523 prev_prio=120 prev_state=R ==> next_comm=kworker/1:1 next_pid=42 next_prio=120`);
    const clean = (await checkDoc({ trace: tracePath('k72-devdax-devdaxwork.trace.txt') })).doc;
    const { code, doc } = await checkDoc({ trace: temp('pud-noisy.txt', lines.join('\n')) });
    expect(code).toBe(0);
    expect(clean).toMatchObject({ observations: 195, matched: 194, unknown: 1 });
    expect(doc).toMatchObject({ observations: 195, matched: 194, unknown: 1, mismatches: [], untraced: [], findings: [] });
    expect(doc.skipped).toEqual([{ event: 'sched_switch', count: 1 }]);
  });
});

describe('input forms: stdin, gzip, zstd, trace.dat', () => {
  const root = resolve(import.meta.dirname, '../..');
  const bin = join(root, 'dist/cli/main.js');
  const newest = (path: string): number => {
    const st = statSync(path);
    return st.isDirectory() ? Math.max(0, ...readdirSync(path).map((p) => newest(join(path, p)))) : st.mtimeMs;
  };
  beforeAll(() => {
    if (existsSync(bin) && statSync(bin).mtimeMs >= newest(join(root, 'src'))) return;
    spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  });
  const SUMMARY = 'ok: 583 observations, 583 matched, 0 unknown, 0 untraced, 0 mismatches, 0 findings';

  it('- reads stdin, and a gzip input on stdin is told by its bytes', () => {
    const text = traceText('k72dbg-ext4-daxwork.trace.txt');
    for (const input of [Buffer.from(text), gzipSync(text)]) {
      const r = spawnSync(process.execPath, [bin, 'check', '-'], { cwd: root, input, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(SUMMARY);
    }
  });
  it('a .gz and a .zst file check as their text does', async () => {
    const text = traceText('k72dbg-ext4-daxwork.trace.txt');
    const gz = temp('t.txt.gz', gzipSync(text));
    expect((await check({ trace: gz })).stdout).toContain(SUMMARY);
    const zst = join(dir, 't.txt.zst');
    const z = spawnSync('zstd', ['-q', '-o', zst, tracePath('k72dbg-ext4-daxwork.trace.txt')]);
    if (z.status !== 0) return; // no zstd tool to make the input; fzstd itself is tested by its package
    expect((await check({ trace: zst })).stdout).toContain(SUMMARY);
  });
  it('a trace.dat goes through trace-cmd report on PATH; without trace-cmd, a clear exit 2', async () => {
    const dat = temp('trace.dat', Buffer.concat([Buffer.from([0x17, 0x08, 0x44]), Buffer.from('tracing6\0\0\0')]));
    // a stand-in trace-cmd that prints what `trace-cmd report` would
    const shim = join(dir, 'bin');
    spawnSync('mkdir', ['-p', shim]);
    writeFileSync(join(shim, 'trace-cmd'), `#!/bin/sh\n[ "$1" = report ] && [ "$2" = -i ] && exec /bin/cat '${tracePath('k72dbg-ext4-daxwork.tracecmd.txt')}'\nexit 1\n`);
    chmodSync(join(shim, 'trace-cmd'), 0o755);
    const path = process.env['PATH'];
    try {
      process.env['PATH'] = shim;
      expect((await check({ trace: dat })).stdout).toContain(SUMMARY);
      process.env['PATH'] = join(dir, 'nowhere');
      await expect(check({ trace: dat })).rejects.toThrow(`${dat}: a binary trace.dat, and trace-cmd is not on PATH: install trace-cmd, or convert it with \`trace-cmd report -i ${dat} > trace.txt\``);
    } finally {
      process.env['PATH'] = path;
    }
  });
});
