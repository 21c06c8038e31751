/**
 * Collected errors and --lenient: by default the first 20 bad lines are printed with
 * their positions, then a count of the rest, before exit 2; with --lenient the bad
 * lines are skipped (printed as skipped, counted) and the report is marked partial in
 * every output format of every command.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process.ts';
import { root, scratch } from './helpers.ts';

const dir = scratch('dax-refsim-collected-');
const S1 = readFileSync(join(root, 'replays/s1-pte-fault-munmap-truncate/ops.jsonl'), 'utf8').trimEnd().split('\n');
const TRACE = readFileSync(join(root, 'events/traces/k612-ext4-daxwork.trace.txt'), 'utf8').split('\n');
const DBG = readFileSync(join(root, 'events/traces/k72dbg-ext4-daxwork.trace.txt'), 'utf8').split('\n');

/** The page_ref trace with the count of 25 page_ref events made unreadable (replay reads page_ref lines). */
const pageRefWith25Bad = join(dir, 'page-ref-25-bad.txt');
{
  const lines = [...DBG];
  let n = 0;
  for (let i = 0; i < lines.length && n < 25; i++) {
    if (lines[i]!.startsWith('#') || !lines[i]!.includes('page_ref_')) continue;
    lines[i] = lines[i]!.replace(/ count=-?\d+/, ' count=zz');
    n++;
  }
  writeFileSync(pageRefWith25Bad, lines.join('\n'));
}

/** s1's Ops with 25 bad lines appended (each a bad pfn at column 29). */
const opsWith25Bad = join(dir, 'ops-25-bad.jsonl');
writeFileSync(opsWith25Bad, [...S1, ...Array.from({ length: 25 }, (_, k) => `{"seq":${100 + k},"type":"put","pfn":-1,"nr":1}`)].join('\n') + '\n');

/** The shipped trace with 25 try_grab_folio refs= made unreadable. */
const traceWith25Bad = join(dir, 'trace-25-bad.txt');
{
  const lines = [...TRACE];
  let n = 0;
  for (let i = 0; i < lines.length && n < 25; i++) {
    if (lines[i]!.startsWith('#') || !lines[i]!.includes(' refs=')) continue;
    lines[i] = lines[i]!.replace(/ refs=\d+/, ' refs=zz');
    n++;
  }
  // too few probe lines with refs= in this trace: bad timestamps on other event lines make up the rest
  for (let i = lines.length - 1; i >= 0 && n < 25; i--) {
    if (!/^\s+\S+-\d+\s+\[\d+\]/.test(lines[i]!) || lines[i]!.includes('refs=zz')) continue;
    lines[i] = lines[i]!.replace(/\[(\d+)\]/, '[x$1]');
    n++;
  }
  writeFileSync(traceWith25Bad, lines.join('\n'));
}

/** Issue lines (`file:line:column CODE …`) of a stderr. */
const issueLines = (stderr: string): string[] => stderr.split('\n').filter((l) => /^\S+:\d+:\d+ [A-Z_]+ /.test(l));

describe('the first 20 errors, then a count', () => {
  it.each([
    ['replay', opsWith25Bad, ['--model', 'legacy']],
    ['diff', opsWith25Bad, []],
    ['replay', pageRefWith25Bad, []],
    ['check', traceWith25Bad, []],
  ] as const)('%s %s: 20 positioned errors and "… and 5 more bad lines", exit 2', async (cmd, file, extra) => {
    const r = await cli(cmd, file, ...extra);
    expect(r.status).toBe(2);
    expect(issueLines(r.stderr)).toHaveLength(20);
    expect(r.stderr.trimEnd().endsWith(`${file}: … and 5 more bad lines`)).toBe(true);
  });
});

describe('--lenient: skipped, counted, and the verdict marked partial in every format', () => {
  it.each([
    ['replay', opsWith25Bad, ['--model', 'legacy'], ['text', 'json']],
    ['diff', opsWith25Bad, [], ['text', 'json', 'md']],
    ['replay', pageRefWith25Bad, [], ['text', 'json']],
    ['check', traceWith25Bad, [], ['text', 'json']],
  ] as const)('%s %s', async (cmd, file, extra, formats) => {
    for (const format of formats) {
      const r = await cli(cmd, file, ...extra, '--lenient', '--format', format);
      expect(r.status).toBeLessThan(2);
      expect(r.stderr).toContain('skipped (--lenient): ');
      expect(r.stderr).toContain(`${file}: … and 5 more bad lines`);
      if (format === 'json') {
        const json = JSON.parse(r.stdout) as { partial: { skippedLines: number; first: string } };
        expect(json.partial.skippedLines).toBe(25);
        expect(json.partial.first).toMatch(new RegExp(`^${file}:\\d+:\\d+ [A-Z_]+ `));
      } else {
        const notice = r.stdout.split('\n')[0]!;
        expect(notice).toContain('PARTIAL: --lenient skipped 25 bad lines (first: ');
        if (format === 'md') expect(notice.startsWith('> **PARTIAL')).toBe(true);
      }
    }
  });

  it('a clean input under --lenient is not partial', async () => {
    const r = await cli('replay', join(root, 'events/examples/legacy-fsdax-get-put.jsonl'), '--lenient', '--format', 'json');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('partial');
    expect(r.stderr).toBe('');
  });
});
