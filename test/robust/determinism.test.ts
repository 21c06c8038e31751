/**
 * Byte-identical output: every command and format, run twice on the same corpus case,
 * prints (or, for export, report and --out, writes) the same bytes; and the built CLI prints those bytes again under another
 * LANG/LC_ALL, another TZ and another working directory (paths given absolute).
 */
import { join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
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
