/**
 * Byte-identical output: every command and format, run twice on the same corpus case,
 * prints (or, for export, report and --out, writes) the same bytes; and the built CLI prints those bytes again under another
 * LANG/LC_ALL, another TZ and another working directory (paths given absolute).
 */
import { join, relative } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process.ts';
import { ensureBuilt, root, scratch, spawnCli } from './helpers.ts';

const CASE = join(root, 'replays/s7-dma-after-munmap');
const OPS = join(CASE, 'ops.jsonl');
const TRACE = join(root, 'events/traces/k72-ext4-daxrace.trace.txt');
const AGAINST = join(root, 'events/traces/k612-ext4-daxrace.trace.txt');
const DBG = join(root, 'events/traces/k72dbg-ext4-daxwork.trace.txt');
const DAX = join(CASE, 'scenario.dax');
const OUT = scratch('dax-refsim-determinism-');

/** Every command and output format, on inputs from the corpus and the shipped traces. */
const RUNS: readonly (readonly string[])[] = [
  ['replay', OPS, '--model', 'legacy'],
  ['replay', OPS, '--model', 'unified', '--format', 'json', '--pages'],
  ['replay', DBG],
  ['replay', DBG, '--format', 'json', '--at', '40'],
  ['check', TRACE],
  ['check', TRACE, '--format', 'json'],
  ['check', TRACE, '--against', AGAINST, '--format', 'json'],
  ['diff', CASE],
  ['diff', CASE, '--format', 'json'],
  ['diff', CASE, '--format', 'md', '--semantic'],
  ['diff', TRACE, '--format', 'json'],
  ['scenarios', '--format', 'json'],
  ['corpus', '--format', 'json'],
  ['ops', DAX],
  ['ops', OPS, '--to-dax'],
  ['ops', TRACE, '--to-dax'],
  ['holders', OPS],
  ['holders', TRACE],
  ['explore', DAX],
  ['minimize', OPS, '--keep', 'divergence:baseline'],
];

/** Commands whose report is a file: the run's output is that file's bytes. */
const FILE_RUNS: readonly (readonly string[])[] = [
  ['export', OPS, '--perfetto', join(OUT, 'run.json')],
  ['export', TRACE, '--perfetto', join(OUT, 'run.json')],
  ['report', OPS, '--html', join(OUT, 'run.html')],
  ['report', TRACE, '--html', join(OUT, 'run.html')],
  ['diff', CASE, '--format', 'json', '--out', join(OUT, 'run.txt')],
];

beforeAll(() => ensureBuilt());

/** A run's name for the test title (paths relative to the repository). */
const title = (args: readonly string[]): string => args.map((a) => (a.startsWith(root) ? relative(root, a) : a)).join(' ');

describe('the same input twice', () => {
  it.each(RUNS.map((r) => [title(r), r] as const))('%s: byte-identical', async (_name, args) => {
    const a = await cli(...args);
    const b = await cli(...args);
    expect(a.status).toBeLessThan(2);
    expect(b).toEqual(a);
    expect(a.stdout.length).toBeGreaterThan(0);
  });
});

describe('the same input twice, written to a file', () => {
  const written = async (args: readonly string[]): Promise<{ status: number; stderr: string; file: string }> => {
    const r = await cli(...args);
    return { status: r.status, stderr: r.stderr, file: readFileSync(args[args.length - 1]!, 'utf8') };
  };
  it.each(FILE_RUNS.map((r) => [title(r), r] as const))('%s: byte-identical', async (_name, args) => {
    const a = await written(args);
    const b = await written(args);
    expect(a.status).toBeLessThan(2);
    expect(b).toEqual(a);
    expect(a.file.length).toBeGreaterThan(0);
  });
});

describe('under another LANG, TZ and working directory', () => {
  const OTHER = { ...process.env, LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', TZ: 'Pacific/Chatham' };
  // one run per command and format family (each spawn costs a Node start-up)
  const SPAWNED = [RUNS[1]!, RUNS[3]!, RUNS[4]!, RUNS[6]!, RUNS[9]!, RUNS[10]!, RUNS[15]!, RUNS[17]!, RUNS[18]!];
  it.each(SPAWNED.map((r) => [title(r), r] as const))('%s: the same bytes as here', async (_name, args) => {
    const here = await cli(...args);
    const there = spawnCli(args, { cwd: tmpdir(), env: OTHER });
    expect(here.status).toBeLessThan(2);
    expect({ status: there.status, stdout: there.stdout, stderr: there.stderr }).toEqual(here);
  });
});

describe('orders that a locale could change', () => {
  // skipped events were sorted with localeCompare: under cs_CZ "ch" sorts after "h"
  it('check\'s skipped events: code-point order under C, en_US, cs_CZ and lt_LT', () => {
    const lines = readFileSync(DBG, 'utf8').split('\n');
    const at = lines.findIndex((l) => / page_ref_mod: /.test(l));
    const idle = '          <idle>-0       [001] d.h1.     4.480002:';
    lines.splice(at, 0, `${idle} hrtimer_start: hrtimer=000000001 function=tick_nohz_handler expires=4480000000 softexpires=4480000000 mode=ABS`, `${idle} check_mmio_spte: spte 0x0 (0x0) access 0x0 ret 1`, `${idle} cpu_idle: state=1 cpu_id=1`, `${idle} irq_handler_entry: irq=11 name=virtio0`);
    const path = join(OUT, 'noise.trace.txt');
    writeFileSync(path, lines.join('\n'));
    const runs = ['C', 'en_US.UTF-8', 'cs_CZ.UTF-8', 'lt_LT.UTF-8'].map((l) => spawnCli(['check', path], { env: { ...process.env, LANG: l, LC_ALL: l } }));
    expect(runs[0]!.stdout.split('\n')).toContain('skipped (not lifted): 1 check_mmio_spte, 1 cpu_idle, 1 hrtimer_start, 1 irq_handler_entry');
    for (const r of runs) expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: runs[0]!.stdout });
  });
});
