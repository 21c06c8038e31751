/**
 * One row per row of the robustness issue's table and per bad-input class (file
 * system, arguments, numbers out of range, nesting, encodings, line length): the exit
 * code, the message code and its position. Nothing here may reach exit 3.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process.ts';
import { ensureBuilt, firstIssue, NOBODY, root, scratch, spawnCli, temps } from './helpers.ts';

const dir = scratch('dax-refsim-robust-');
const EX = join(root, 'events/examples/legacy-fsdax-get-put.jsonl');
const TRACES = join(root, 'events/traces');
const REF_HEADER = '{"schema":"dax-refsim/1","kind":"refevents","profile":null}';

function put(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

let edits = 0;

/** A shipped trace with line `n` (1-based) passed through `edit`. */
function traceWith(name: string, edit: (lines: string[]) => void): string {
  const lines = readFileSync(join(TRACES, name), 'utf8').split('\n');
  edit(lines);
  return put(`${name}.${++edits}.txt`, lines.join('\n'));
}

function lineIndex(lines: readonly string[], pred: (l: string) => boolean): number {
  const i = lines.findIndex(pred);
  if (i < 0) throw new Error('no such line');
  return i;
}

beforeAll(() => ensureBuilt());

describe('nesting', () => {
  const nested = put('nested.jsonl', `${REF_HEADER}\n${'['.repeat(100_000)}\n`);
  it.each([['replay'], ['diff']])('%s: 100,000 nested brackets are BAD_JSON at the 65th, exit 2', async (cmd) => {
    const r = await cli(cmd, nested);
    expect(r.status).toBe(2);
    expect(firstIssue(r.stderr)).toEqual({ file: nested, line: 2, column: 65, code: 'BAD_JSON' });
    expect(r.stderr).toContain('at most 64 levels');
  });
});

describe('file system: inputs', () => {
  it.each([['replay', EX], ['check', join(TRACES, 'k72-ext4-daxwork.trace.txt')], ['diff', join(root, 'replays/s1-pte-fault-munmap-truncate/ops.jsonl')]])(
    '%s of an unreadable input: exit 2 naming EACCES',
    (cmd, src) => {
      const path = put(`unreadable-${cmd}`, readFileSync(src, 'utf8'));
      chmodSync(path, 0o000);
      const r = spawnCli([cmd, path], { asUser: true });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${path}: permission denied \\(EACCES in open\\)`));
      expect(r.stderr).not.toContain('internal error');
    },
  );
  it.each([['replay'], ['check'], ['diff']])('%s of a directory or a missing file: exit 2', async (cmd) => {
    for (const p of [dir, join(dir, 'missing.txt')]) {
      const r = await cli(cmd, p);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/not found/);
    }
  });
});

describe('file system: --out', () => {
  it.each([
    ['a missing directory', () => join(dir, 'no-such-dir', 'x.txt'), /directory .*no-such-dir does not exist/],
    ['a directory', () => dir, /a directory, not a regular file; refusing to replace it/],
    ['an empty name', () => '', /--out "": expected a file name/],
    ['a FIFO', () => { const p = join(dir, 'fifo'); if (!existsSync(p)) execFileSync('mkfifo', [p]); return p; }, /a FIFO, not a regular file/],
    ['a symbolic link to a directory', () => { const p = join(dir, 'link-to-dir'); if (!existsSync(p)) symlinkSync(dir, p); return p; }, /a directory, not a regular file/],
  ])('replay --out naming %s: exit 2, nothing written', async (_what, target, message) => {
    const out = target();
    const before = temps(dir).length;
    const r = await cli('replay', EX, '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(temps(dir).length).toBe(before);
  });

  it('--out naming a read-only file: exit 2, the file keeps its content and mode', async () => {
    const ro = put('read-only.txt', 'keep\n');
    chmodSync(ro, 0o444);
    for (const cmd of [['replay', EX], ['check', join(TRACES, 'k72-ext4-daxwork.trace.txt')], ['diff', join(root, 'replays/s1-pte-fault-munmap-truncate')]]) {
      const r = await cli(...cmd, '--out', ro);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('read-only; refusing to replace it');
    }
    expect(readFileSync(ro, 'utf8')).toBe('keep\n');
  });

  it.runIf(NOBODY !== undefined)('--out naming a character device (made here, not /dev/null): exit 2, still a device', async () => {
    const dev = join(dir, 'chardev');
    if (!existsSync(dev)) execFileSync('mknod', [dev, 'c', '1', '3']);
    const r = await cli('replay', EX, '--out', dev);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('a character device, not a regular file');
    expect(execFileSync('stat', ['-c', '%F', dev], { encoding: 'utf8' }).trim()).toBe('character special file');
  });

  it('--out in a read-only directory: exit 2, no file', () => {
    const ro = join(dir, 'ro-dir');
    mkdirSync(ro, { recursive: true });
    chmodSync(ro, 0o555);
    const r = spawnCli(['replay', EX, '--out', join(ro, 'x.txt')], { asUser: true });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot create files in .*ro-dir \(permission denied\)/);
    expect(existsSync(join(ro, 'x.txt'))).toBe(false);
  });
});

describe('line length and pathological lines', () => {
  it('a 20 MiB JSONL line is LINE_TOO_LONG just past the 1 MiB limit', async () => {
    const big = put('big.jsonl', `${REF_HEADER}\n{"seq":1,"type":"set_mapping","pfn":"0x40200","mapping":"${'a'.repeat(20 << 20)}"}\n`);
    const r = await cli('replay', big);
    expect(r.status).toBe(2);
    expect(firstIssue(r.stderr)).toEqual({ file: big, line: 2, column: (1 << 20) + 1, code: 'LINE_TOO_LONG' });
  });

  it('--max-line-bytes sets the limit for traces too (replay and check)', async () => {
    const trace = join(TRACES, 'k72dbg-ext4-daxwork.trace.txt');
    // the first line longer than 200 bytes
    const line = readFileSync(trace, 'utf8').split('\n').findIndex((l) => Buffer.byteLength(l) > 200) + 1;
    expect(line).toBeGreaterThan(0);
    for (const cmd of ['replay', 'check']) {
      const r = await cli(cmd, trace, '--max-line-bytes', '200');
      expect(r.status).toBe(2);
      expect(firstIssue(r.stderr)).toEqual({ file: trace, line, column: 201, code: 'LINE_TOO_LONG' });
    }
    expect((await cli('replay', EX, '--max-line-bytes', '0')).status).toBe(2);
    expect((await cli('replay', EX, '--max-line-bytes', 'lots')).stderr).toContain('--max-line-bytes lots: expected a positive integer');
  });

  it('a trace line with 200,000 leading spaces and garbage is BAD_LINE at its first character', async () => {
    let line = 0;
    const path = traceWith('k72-ext4-daxwork.trace.txt', (lines) => {
      const i = lineIndex(lines, (l) => l.includes(' snap: '));
      lines[i] = `${' '.repeat(200_000)}garbage`;
      line = i + 1;
    });
    const r = await cli('check', path);
    expect(r.status).toBe(2);
    expect(firstIssue(r.stderr)).toEqual({ file: path, line, column: 200_001, code: 'BAD_LINE' });
  });

  it('a control character inside a 64-bit hex probe value is BAD_FIELD at the value', async () => {
    let line = 0;
    let column = 0;
    const path = traceWith('k612-ext4-daxwork.trace.txt', (lines) => {
      const i = lineIndex(lines, (l) => l.includes('try_grab_folio: (') && l.includes('folio=0xffffea0001201400'));
      lines[i] = lines[i]!.replace('folio=0xffffea0001201400', 'folio=0xffffea00\x01201400');
      line = i + 1;
      column = lines[i].indexOf('folio=0xffffea00\x01') + 'folio='.length + 1;
    });
    const r = await cli('check', path);
    expect(r.status).toBe(2);
    expect(firstIssue(r.stderr)).toEqual({ file: path, line, column, code: 'BAD_FIELD' });
  });
});

describe('arguments and locale', () => {
  it.each([['de_DE.UTF-8'], ['fr_FR.UTF-8'], ['C']])('yargs messages are English under LC_ALL=%s, with the --help hint', (locale) => {
    const r = spawnCli(['replay'], { env: { ...process.env, LC_ALL: locale, LANG: locale, LC_MESSAGES: locale } });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('Not enough non-option arguments: got 0, need at least 1\nRun dax-refsim --help for usage.\n');
  });
  it('an unknown flag is exit 2 with the hint', async () => {
    const r = await cli('replay', EX, '--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Run dax-refsim --help for usage.');
  });
});

describe("numbers outside the kernel's range: an error at their position, never an allocation", () => {
  const S3 = readFileSync(join(root, 'replays/s3-pin-unmap-unpin/ops.jsonl'), 'utf8').split('\n');
  /** s3's Ops up to its gup.pin (line 4) with that Op replaced by `op`. */
  const withOp = (name: string, op: object): string => put(name, [S3[0], S3[1], S3[2], JSON.stringify({ seq: 3, ...op })].join('\n') + '\n');

  it.each([
    // A maps pfn 294992 at the start of its 4 MiB VMA: __get_user_pages() stops at the hole after it
    ['gup.pin', { type: 'gup.pin', mm: 'A', pfn: 294992, nr: 2 ** 31, fast: false, longterm: false }, 'exceed the 1024 pages from address 0x7f0000000000'],
    ['gup.get', { type: 'gup.get', mm: 'A', pfn: 294992, nr: 1e6, fast: true }, 'to 0x7f0000400000, the end of its contiguous VMAs (__get_user_pages() stops at a hole with -EFAULT)'],
    ['dio.grab', { type: 'dio.grab', mm: 'A', pfn: 294992, nr: 2 ** 31, fast: true }, 'exceed the 1024 pages from address'],
    ['unpin', { type: 'unpin', pfn: 294992, nr: 2 ** 31 }, 'pages of pgmap pmem0'],
    ['put', { type: 'put', pfn: 294992, nr: 1e7 }, 'pages of pgmap pmem0'],
    ['dio.release', { type: 'dio.release', pfn: 294992, nr: 2 ** 31 }, 'pages of pgmap pmem0'],
    ['put outside every pgmap', { type: 'put', pfn: 16, nr: 2 ** 31 }, 'pages of the largest folio'],
  ])('an Op %s with a huge nr is BAD_FIELD at nr, exit 2 (replay and diff)', async (_what, op, bound) => {
    const path = withOp(`nr-${op.type}-${op.nr}.jsonl`, op);
    for (const args of [['replay', path, '--model', 'legacy@6.12'], ['diff', path]]) {
      const r = await cli(...args);
      expect(r.status).toBe(2);
      const issue = firstIssue(r.stderr);
      expect(issue).toMatchObject({ file: path, line: 4, code: 'BAD_FIELD' });
      expect(issue!.column).toBe(readFileSync(path, 'utf8').split('\n')[3]!.indexOf('"nr":') + 6);
      expect(r.stderr).toContain(bound);
    }
  });

  it.each([
    ['memmap_init vmemmapShift 1024', '{"seq":1,"type":"memmap_init","pfn":"0x40000","nr":512,"pgmap":"pmem0","pgmapType":"fsdax","refcount":1,"vmemmapShift":1024}', 'vmemmapShift', 'a folio order from 0 to 18'],
    ['memmap_init vmemmapShift 53', '{"seq":1,"type":"memmap_init","pfn":"0x40000","nr":512,"pgmap":"pmem0","pgmapType":"fsdax","refcount":1,"vmemmapShift":53}', 'vmemmapShift', 'a folio order from 0 to 18'],
    ['memmap_init vmemmapShift 64', '{"seq":1,"type":"memmap_init","pfn":"0x40000","nr":512,"pgmap":"pmem0","pgmapType":"fsdax","refcount":1,"vmemmapShift":64}', 'vmemmapShift', 'a folio order from 0 to 18'],
    ['memmap_init vmemmapShift 100', '{"seq":1,"type":"memmap_init","pfn":"0x40000","nr":512,"pgmap":"pmem0","pgmapType":"fsdax","refcount":1,"vmemmapShift":100}', 'vmemmapShift', 'a folio order from 0 to 18'],
    ['memmap_init refcount 2^31', '{"seq":1,"type":"memmap_init","pfn":"0x40000","nr":512,"pgmap":"pmem0","pgmapType":"fsdax","refcount":2147483648,"vmemmapShift":0}', 'refcount', 'a kernel int'],
    ['memmap_init refcount 10^20', '{"seq":1,"type":"memmap_init","pfn":"0x40000","nr":512,"pgmap":"pmem0","pgmapType":"fsdax","refcount":100000000000000000000,"vmemmapShift":0}', 'refcount', 'a kernel int'],
    ['memmap_init nr 2^53-1', '{"seq":1,"type":"memmap_init","pfn":"0x40000","nr":9007199254740991,"pgmap":"pmem0","pgmapType":"fsdax","refcount":1,"vmemmapShift":0}', 'nr', 'a page count from 0 to 2^52'],
    ['memmap_init pfn + nr past 2^52', '{"seq":1,"type":"memmap_init","pfn":"0x40000","nr":4503599627370496,"pgmap":"pmem0","pgmapType":"fsdax","refcount":1,"vmemmapShift":0}', 'nr', 'run past 2^52'],
    ['set val 2^40', '{"seq":1,"type":"set","pfn":"0x40000","val":1099511627776}', 'val', 'a kernel int'],
    ['prep_compound order 19', '{"seq":1,"type":"prep_compound","pfn":"0x40000","order":19}', 'order', 'a folio order from 0 to 18'],
    ['a pfn of 2^53+1', '{"seq":1,"type":"split","pfn":9007199254740993}', 'pfn', 'below 2^52'],
    ['a pfn of 2^52', '{"seq":1,"type":"split","pfn":"0x10000000000000"}', 'pfn', 'below 2^52'],
  ])('JSONL %s is BAD_FIELD at the value, exit 2', async (name, event, field, expected) => {
    const path = put(`${name.replace(/\W+/g, '-')}.jsonl`, `${REF_HEADER}\n${event}\n`);
    const r = await cli('replay', path);
    expect(r.status).toBe(2);
    const issue = firstIssue(r.stderr);
    expect(issue).toMatchObject({ line: 2, code: 'BAD_FIELD' });
    expect(issue!.column).toBe(event.indexOf(`"${field}":`) + field.length + 4);
    expect(r.stderr).toContain(expected);
  });

  it.each([
    ['2^53-1', 2 ** 53 - 1, 'a page count from 0 to 2^52'],
    ['2^52 from pfn 0x40000', 2 ** 52, 'run past 2^52'],
  ])('an Op pgmap.register with nr %s is BAD_FIELD at nr, exit 2', async (what, nr, expected) => {
    const line = JSON.stringify({ seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 262144, nr, vmemmapShift: 0 });
    const path = put(`pgmap-nr-${what.replace(/\W+/g, '-')}.jsonl`, `${S3[0]}\n${line}\n`);
    const r = await cli('replay', path, '--model', 'legacy@6.12');
    expect(r.status).toBe(2);
    const issue = firstIssue(r.stderr);
    expect(issue).toMatchObject({ line: 2, code: 'BAD_FIELD' });
    expect(issue!.column).toBe(line.indexOf('"nr":') + 6);
    expect(r.stderr).toContain(expected);
  });

  /** A shipped trace with the first line holding `from` edited to hold `to`; the edited line's number. */
  const edited = (trace: string, from: string, to: string): { path: string; line: number; column: number } => {
    let line = 0;
    let column = 0;
    const path = traceWith(trace, (lines) => {
      const i = lineIndex(lines, (l) => l.includes(from) && !l.startsWith('#'));
      column = lines[i]!.indexOf(from) + 1;
      lines[i] = lines[i]!.replace(from, to);
      line = i + 1;
    });
    return { path, line, column };
  };

  it.each([
    ['a snap m_ of 2^64 (s32)', 'k72-ext4-daxwork.trace.txt', ' m_48400=-1 ', ' m_48400=18446744073709551616 ', 'BAD_FIELD'],
    ['a probe refs of 2^40 (s32)', 'k612-ext4-daxwork.trace.txt', 'refs=1 flags=0x2d0000', 'refs=1099511627776 flags=0x2d0000', 'BAD_FIELD'],
    ['a byte 0x10 inside a 32-bit hex value', 'k612-ext4-daxwork.trace.txt', 'flags=0x2d0000', 'flags=0x2d\x1000', 'BAD_FIELD'],
    ['a byte 0x19 inside a 32-bit hex value', 'k612-ext4-daxwork.trace.txt', 'flags=0x2d0000', 'flags=0x2d\x1900', 'BAD_FIELD'],
    ['a page_ref count of 2^31', 'k72dbg-ext4-daxwork.trace.txt', ' count=1 ', ' count=2147483648 ', 'BAD_FIELD'],
    ['a page_ref count of 10^20', 'k72dbg-ext4-daxwork.trace.txt', ' count=1 ', ' count=100000000000000000000 ', 'BAD_FIELD'],
    ['a page_ref val of 2^40', 'k72dbg-ext4-daxwork.trace.txt', ' val=1', ' val=1099511627776', 'BAD_FIELD'],
    ['a page_ref pfn of 2^53+1', 'k72dbg-ext4-daxwork.trace.txt', 'pfn=0x4', 'pfn=0x200000000000014', 'BAD_FIELD'],
  ])('check: %s is an error at its value, exit 2', async (_what, trace, from, to, code) => {
    const { path, line, column } = edited(trace, from, to);
    const r = await cli('check', path);
    expect(r.status).toBe(2);
    // the value starts right after the `=` of the edited field
    expect(firstIssue(r.stderr)).toEqual({ file: path, line, column: column + to.indexOf('=') + 1, code });
  });

  it('replay of a page_ref trace: a count of 2^31 is BAD_FIELD at its column', async () => {
    const { path, line, column } = edited('k72dbg-ext4-daxwork.trace.txt', ' count=1 ', ' count=2147483648 ');
    const r = await cli('replay', path);
    expect(r.status).toBe(2);
    expect(firstIssue(r.stderr)).toEqual({ file: path, line, column: column + 7, code: 'BAD_FIELD' });
  });

  // a count that passes its type (s32, u64) but not the kernel's bound on the Op lifted
  // from it: BAD_FIELD at the count's value, for check and for diff (which lifts too)
  it.each([
    ['try_grab_folio refs=2^31-1', 'refs=1 flags=0x2d0000', 'refs=2147483647 flags=0x2d0000', 'refs='.length, 'exceed the 4 pages from address 0x7f7c70c00000'],
    ['try_grab_folio refs=2^40 (s32)', 'refs=1 flags=0x2d0000', 'refs=1099511627776 flags=0x2d0000', 'refs='.length, 'refs=1099511627776 expected s32'],
    ['unpin_user_pages n=2^31-1', ' n=2 page0', ' n=2147483647 page0', ' n='.length, 'exceed the 98224 pages of pgmap pmem0'],
    ['unpin_user_pages n=2^40', ' n=2 page0', ' n=1099511627776 page0', ' n='.length, 'nr: 1099511627776 pages exceed the 98224 pages of pgmap pmem0'],
    ['unpin_user_folio npages=2^40', ' npages=1 ref', ' npages=1099511627776 ref', ' npages='.length, 'nr: 1099511627776 pages exceed the 98220 pages of pgmap pmem0'],
  ])('check and diff: a probe %s is BAD_FIELD at its value, exit 2', async (_what, from, to, skip, message) => {
    const { path, line, column } = edited('k612-ext4-daxwork.trace.txt', from, to);
    for (const cmd of ['check', 'diff']) {
      const r = await cli(cmd, path);
      expect(r.status).toBe(2);
      expect(firstIssue(r.stderr)).toEqual({ file: path, line, column: column + skip, code: 'BAD_FIELD' });
      expect(r.stderr).toContain(message);
    }
  });

  // stdin cannot be read again to find the line: check keeps its tail (InputTail), so the
  // error is placed as a file's is, under the name <stdin> (was: "dax-refsim: Op seq 11
  // (input line 194): nr: …", no column)
  it.each([
    ['unpin_user_pages n=2^31-1', 'k612-ext4-daxwork.trace.txt', ' n=2 page0', ' n=2147483647 page0', ' n='.length, 'nr: 2147483647 pages exceed the 98224 pages of pgmap pmem0 from pfn 0x48050 to its end (Op seq 11, lifted from this line)'],
    ['try_grab_folio refs=2^31-1', 'k612-ext4-daxwork.trace.txt', 'refs=1 flags=0x2d0000', 'refs=2147483647 flags=0x2d0000', 'refs='.length, 'exceed the 4 pages from address 0x7f7c70c00000'],
    ['a snap m_ of 10^8', 'k72-ext4-daxwork.trace.txt', ' m_48400=-1 ', ' m_48400=100000000 ', ' m_48400='.length, 'the recorded mapcount 100000000 is 100000001 mappings from the replay\'s -1'],
  ])('check - (stdin, plain and gzip): %s is BAD_FIELD at <stdin>:line:column, as in the file', (_what, trace, from, to, skip, message) => {
    const { path, line, column } = edited(trace, from, to);
    const file = spawnCli(['check', path]);
    const text = readFileSync(path);
    for (const input of [text, gzipSync(text)]) {
      const r = spawnCli(['check', '-'], { input });
      expect(r.status).toBe(2);
      expect(firstIssue(r.stderr)).toEqual({ file: '<stdin>', line, column: column + skip, code: 'BAD_FIELD' });
      expect(r.stderr.split('\n')[0]).toContain(message);
      // the same three lines (message, quoted line, caret) as for the file, but its name
      expect(r.stderr).toBe(file.stderr.replaceAll(path, '<stdin>'));
    }
  });

  it.each([
    ['shift=1024', ' shift=1024 '],
    ['shift=19', ' shift=19 '],
    ['shift=53', ' shift=53 '],
  ])('check: get_dev_pagemap() %s (vmemmap_shift past MAX_FOLIO_ORDER) is BAD_FIELD at the value, exit 2', async (_what, to) => {
    const { path, line, column } = edited('k612-devdax-devdaxwork.trace.txt', ' shift=18 ', to);
    const r = await cli('check', path);
    expect(r.status).toBe(2);
    expect(firstIssue(r.stderr)).toEqual({ file: path, line, column: column + ' shift='.length, code: 'BAD_FIELD' });
    expect(r.stderr).toContain(`${to.trim()} expected a pgmap vmemmap_shift (a folio order) from 0 to 18`);
  });

  it('check: a snap m_ of 10^8 (an int, but no missed change) is BAD_FIELD at the value, exit 2, not 5 GB', async () => {
    const { path, line, column } = edited('k72-ext4-daxwork.trace.txt', ' m_48400=-1 ', ' m_48400=100000000 ');
    const r = await cli('check', path);
    expect(r.status).toBe(2);
    expect(firstIssue(r.stderr)).toEqual({ file: path, line, column: column + ' m_48400='.length, code: 'BAD_FIELD' });
    expect(r.stderr).toContain(`pfn 0x48400 (input line ${line}): the recorded mapcount 100000000`);
  });
});

describe('Op pages: bounds from the kernel, else the --max-op-pages work limit', () => {
  const HEAD = '{"schema":"dax-refsim/1","kind":"ops","profile":null}';
  /** An Op file: a pgmap of `pages` pages from pfn 0x40000, then `ops`; the last Op's line and the column of its nr. */
  const opFile = (name: string, pages: number, ops: object[]): { path: string; line: number; column: number } => {
    const lines = [HEAD, JSON.stringify({ seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: pages, vmemmapShift: 0 }), ...ops.map((o, i) => JSON.stringify({ seq: i + 2, ...o }))];
    const path = put(name, lines.join('\n') + '\n');
    const last = lines[lines.length - 1]!;
    return { path, line: lines.length, column: last.indexOf('"nr":') + 6 };
  };
  const BIG = 2 ** 40;

  it.each([
    ['gup.pin', { type: 'gup.pin', mm: 'A', pfn: 0x40000, nr: BIG, fast: true, longterm: false }],
    ['gup.get', { type: 'gup.get', mm: 'A', pfn: 0x40000, nr: BIG, fast: false }],
    ['dio.grab', { type: 'dio.grab', mm: 'A', pfn: 0x40000, nr: BIG, fast: true }],
    ['put', { type: 'put', pfn: 0x40000, nr: BIG }],
    ['unpin', { type: 'unpin', pfn: 0x40000, nr: BIG }],
    ['dio.release', { type: 'dio.release', pfn: 0x40000, nr: BIG }],
  ])('%s of 2^40 pages in a pgmap of 2^40: BAD_FIELD at nr naming --max-op-pages, in seconds (replay and diff)', async (type, op) => {
    const { path, line, column } = opFile(`work-${type}.jsonl`, BIG, [op]);
    for (const args of [['replay', path, '--model', 'legacy@6.12'], ['diff', path]]) {
      const t0 = Date.now();
      const r = await cli(...args);
      // was hours of page-by-page work (killed after 20 s at 2 GB); now the first step refuses it
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(r.status).toBe(2);
      expect(firstIssue(r.stderr)).toEqual({ file: path, line, column, code: 'BAD_FIELD' });
      expect(r.stderr).toContain(`nr: ${BIG} pages exceed the 262144 pages of the work limit on one Op (--max-op-pages; no kernel bound is tighter here)`);
    }
  });

  // the commands that read Ops whole and replay them later position the error as replay does
  it.each([
    ['holders', []],
    ['report', ['--html', join(dir, 'bound-out.html')]],
    ['export', ['--perfetto', join(dir, 'bound-out.json')]],
    ['minimize', ['--keep', 'hang']],
  ] as const)('%s: an Op over its bound is BAD_FIELD at its position, in JSONL and in a trace, nothing written', async (cmd, extra) => {
    const { path, line, column } = opFile(`work-${cmd}.jsonl`, BIG, [{ type: 'put', pfn: 0x40000, nr: BIG }]);
    const j = await cli(cmd, path, ...extra);
    expect(j.status).toBe(2);
    expect(firstIssue(j.stderr)).toEqual({ file: path, line, column, code: 'BAD_FIELD' });
    expect(j.stderr).toContain('--max-op-pages');
    let at = { line: 0, column: 0 };
    const trace = traceWith('k612-ext4-daxwork.trace.txt', (lines) => {
      const i = lineIndex(lines, (l) => l.includes('refs=1 flags=0x2d0000') && !l.startsWith('#'));
      at = { line: i + 1, column: lines[i]!.indexOf('refs=1 flags=0x2d0000') + 1 + 'refs='.length };
      lines[i] = lines[i]!.replace('refs=1 flags=0x2d0000', 'refs=2147483647 flags=0x2d0000');
    });
    const t = await cli(cmd, trace, ...extra);
    expect(t.status).toBe(2);
    expect(firstIssue(t.stderr)).toEqual({ file: trace, ...at, code: 'BAD_FIELD' });
    expect(t.stderr).toContain('nr: 2147483647 pages exceed the 4 pages from address');
    expect(existsSync(join(dir, 'bound-out.html')) || existsSync(join(dir, 'bound-out.json'))).toBe(false);
  });

  it('--max-op-pages sets the work limit; a bad value is a usage error', async () => {
    const { path, line, column } = opFile('work-limit-8.jsonl', 512, [{ type: 'put', pfn: 0x40000, nr: 9 }]);
    const r = await cli('replay', path, '--model', 'legacy@6.12', '--max-op-pages', '8');
    expect(r.status).toBe(2);
    expect(firstIssue(r.stderr)).toEqual({ file: path, line, column, code: 'BAD_FIELD' });
    expect(r.stderr).toContain('nr: 9 pages exceed the 8 pages of the work limit on one Op (--max-op-pages');
    for (const bad of ['0', 'lots', '-1']) {
      const u = await cli('replay', path, '--max-op-pages', bad);
      expect(u.status).toBe(2);
      expect(u.stderr).toContain(`--max-op-pages ${bad}: expected a positive integer (pages)`);
    }
  });

  it('a dio.grab or dio.release over one bio (bi_size is an unsigned int: 2^20 + 1 pages) is BAD_FIELD under a larger --max-op-pages', async () => {
    for (const type of ['dio.grab', 'dio.release']) {
      const { path, line, column } = opFile(`bio-${type}.jsonl`, 2 ** 21, [{ type, pfn: 0x40000, nr: 2 ** 20 + 2, ...(type === 'dio.grab' ? { fast: true } : {}) }]);
      const r = await cli('replay', path, '--model', 'legacy@6.12', '--max-op-pages', String(2 ** 30));
      expect(r.status).toBe(2);
      expect(firstIssue(r.stderr)).toEqual({ file: path, line, column, code: 'BAD_FIELD' });
      expect(r.stderr).toContain('nr: 1048578 pages exceed the 1048577 pages of one bio');
    }
  });

  /** A dax.fault of one PTE in A: pfn at address, in the VMA [start, end) of file F from pgoff 0. */
  const S = 0x7f0000000000;
  const P = 4096;
  const fault = (start: number, end: number, address: number, pfn: number): object => ({
    type: 'dax.fault', mm: 'A', vma: { start, end, shared: true, file: 'F', pgoff: 0 }, address, file: 'F', pgoff: (address - S) / P, pfn, level: 'pte', write: false, vmaShared: true, reflink: false,
  });

  it('a GUP goes on into the next VMA (never bounded by one VMA) and stops at a hole', async () => {
    // two adjacent 4-page VMAs: from the last page of the first, 5 pages are left
    const adjacent = [fault(S, S + 4 * P, S + 3 * P, 0x40003), fault(S + 4 * P, S + 8 * P, S + 4 * P, 0x40004)];
    const ok = opFile('gup-adjacent-ok.jsonl', 512, [...adjacent, { type: 'gup.pin', mm: 'A', pfn: 0x40003, nr: 2, fast: false, longterm: false }]);
    expect((await cli('replay', ok.path, '--model', 'legacy@6.12')).status).toBe(0);
    const over = opFile('gup-adjacent-over.jsonl', 512, [...adjacent, { type: 'gup.pin', mm: 'A', pfn: 0x40003, nr: 6, fast: false, longterm: false }]);
    const r = await cli('replay', over.path, '--model', 'legacy@6.12');
    expect(r.status).toBe(2);
    expect(firstIssue(r.stderr)).toEqual({ file: over.path, line: over.line, column: over.column, code: 'BAD_FIELD' });
    expect(r.stderr).toContain('nr: 6 pages exceed the 5 pages from address 0x7f0000003000 (where A maps pfn 0x40003) to 0x7f0000008000, the end of its contiguous VMAs');
    // a one-page hole after the first VMA: only its last page is left
    const hole = opFile('gup-hole.jsonl', 512, [fault(S, S + 4 * P, S + 3 * P, 0x40003), fault(S + 5 * P, S + 8 * P, S + 5 * P, 0x40005), { type: 'gup.get', mm: 'A', pfn: 0x40003, nr: 2, fast: true }]);
    const h = await cli('replay', hole.path, '--model', 'legacy@6.12');
    expect(h.status).toBe(2);
    expect(firstIssue(h.stderr)).toEqual({ file: hole.path, line: hole.line, column: hole.column, code: 'BAD_FIELD' });
    expect(h.stderr).toContain('nr: 2 pages exceed the 1 pages from address 0x7f0000003000 (where A maps pfn 0x40003) to 0x7f0000004000');
  });
});

describe('a .dax scenario\'s Op over its bound: file:line:column of its `N pages`', () => {
  // was "dax-refsim: Op seq 3: nr: …": the seq alone, no file, no line
  const BOUND = 'nr: 2000000 pages exceed the 1024 pages from address 0x7f0000000000 (where A maps pfn 0x48050) to 0x7f0000400000, the end of its contiguous VMAs (__get_user_pages() stops at a hole with -EFAULT) (expected a count within the kernel\'s bound)';
  const HEAD = 'scenario "a pin past its VMA"\nprocess A B\npgmap pmem0 fsdax 0x40000 +512M\nfile F 0..4M -> 0x48050\nA: mmap F 0..4M shared\nA: fault F\n';
  // line 8, "2000000" at column 10; B's get (line 7) runs first in file order, after the pin in some interleavings
  const pin = put('pin-bound.dax', `${HEAD}B: mmap F 0..4M shared\nA: pin F 2000000 pages fast\nunpin F\nexpect legacy: no findings\n`);
  const raw = put('raw-bound.dax', `${HEAD}B: mmap F 0..4M shared\n{"type":"gup.pin","mm":"A","pfn":"0x48050","nr":2000000,"fast":false,"longterm":false}\nexpect legacy: no findings\n`);
  it.each([
    [['replay', '--model', 'legacy@6.12']], [['replay', '--model', 'legacy@6.12', '--format', 'json']], [['diff']], [['holders']], [['test']], [['explore']],
    [['minimize', '--keep', 'divergence:baseline']], [['export', '--perfetto', join(dir, 'bound.json')]], [['report', '--html', join(dir, 'bound.html')]],
  ])('%j: exit 2, the N of "N pages" (a raw Op: its "nr" value)', async (args) => {
    const [cmd, ...rest] = args;
    for (const [path, column] of [[pin, 10], [raw, 49]] as const) {
      const r = await cli(cmd!, path, ...rest);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: `${path}:8:${column} BAD_VALUE ${BOUND}\n` });
    }
  });
});

describe('`-` where a command reads no stdin', () => {
  const OPS = join(root, 'replays/s7-dma-after-munmap/ops.jsonl');
  // these printed "\u0000stdin: not found": the CLI's stand-in for `-`, a NUL byte and all
  it.each([
    ['replay'], ['diff'], ['holders'], ['ops'], ['explore'], ['minimize', '--keep', 'divergence:baseline'],
    ['export', '--perfetto', join(dir, 'stdin.json')], ['report', '--html', join(dir, 'stdin.html')],
  ])('%s -: exit 2, only check reads standard input', async (cmd, ...rest) => {
    const r = await cli(cmd, '-', ...rest);
    expect(r).toEqual({ status: 2, stdout: '', stderr: '-: standard input is read by check only: give a file\n' });
  });
  it.each([
    [['replay', OPS, '--out', '-'], '--out -: expected a file name (this flag never writes to stdout)\n'],
    [['report', OPS, '--html', '-'], '--html -: expected a file name (this flag never writes to stdout)\n'],
    [['check', join(TRACES, 'k72-ext4-daxrace.trace.txt'), '--against', '-'], '--against -: not found\n'],
    [['check', join(TRACES, 'k72-ext4-daxrace.trace.txt'), '--probes', '-'], '--probes -: not found\n'],
  ])('%j: exit 2, the option named as given, no NUL byte', async (args, stderr) => {
    const r = await cli(...args);
    expect(r).toEqual({ status: 2, stdout: '', stderr });
  });
});

describe('option paths that are directories', () => {
  it.each([
    ['--probes', 'a probe set file (kprobe_events definitions, one a line)'],
    ['--against', 'a trace file'],
  ])('check %s naming a directory: exit 2, says it is a directory and what was expected', async (flag, expected) => {
    const r = await cli('check', join(TRACES, 'k612-ext4-daxwork.trace.txt'), flag, dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${flag} ${dir}: a directory; expected ${expected}\n`);
  });
  it('check --probes naming a missing file: exit 2, not found', async () => {
    const r = await cli('check', join(TRACES, 'k612-ext4-daxwork.trace.txt'), '--probes', join(dir, 'no-such.probes'));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`--probes ${join(dir, 'no-such.probes')}: not found\n`);
  });
});

describe("trace header ranges outside the kernel's: an error at the value, exit 2", () => {
  /** A shipped trace with header line `n` (1-based) edited; the path and the edited line's text. */
  const header = (trace: string, from: string, to: string): { path: string; line: number; text: string } => {
    let line = 0;
    let text = '';
    const path = traceWith(trace, (lines) => {
      const i = lineIndex(lines, (l) => l.startsWith('# ') && l.includes(from));
      lines[i] = lines[i]!.replace(from, to);
      line = i + 1;
      text = lines[i]!;
    });
    return { path, line, text };
  };

  it.each([
    ['align=3', 'align=1073741824', 'align=3', 'align', 'align=3: expected 4096, 2097152 or 1073741824'],
    ['align=0', 'align=1073741824', 'align=0', 'align', 'align=0: expected 4096, 2097152 or 1073741824'],
    ['align=2^70', 'align=1073741824', 'align=1180591620717411303424', 'align', 'expected 4096, 2097152 or 1073741824'],
    ['a resource not aligned to align', 'resource=0x140000000', 'resource=0x140200000', 'resource', 'resource=0x140200000: expected a physical address aligned to 1073741824'],
    ['a size of 2^60', 'size=1073741824', 'size=1152921504606846976', 'size', 'the range runs past 2^52'],
  ])('# dax0.0: %s (check and replay)', async (_what, from, to, key, message) => {
    const { path, line, text } = header('k612-devdax-devdaxwork.trace.txt', from, to);
    for (const cmd of ['check', 'replay']) {
      const r = await cli(cmd, path);
      expect(r.status).toBe(2);
      expect(firstIssue(r.stderr)).toEqual({ file: path, line, column: text.indexOf(`${key}=`) + 1, code: 'BAD_HEADER' });
      expect(r.stderr).toContain(message);
    }
  });

  it.each([
    ['an end past 2^52', '40000000-5fffffff', '40000000-fffffffffffffff'],
    ['an end before its start', '40000000-5fffffff', '5fffffff-40000000'],
  ])('# pmem: %s (check and replay)', async (_what, from, to) => {
    const { path, line, text } = header('k72-ext4-daxwork.trace.txt', from, to);
    for (const cmd of ['check', 'replay']) {
      const r = await cli(cmd, path);
      expect(r.status).toBe(2);
      expect(firstIssue(r.stderr)).toEqual({ file: path, line, column: text.indexOf(to) + 1, code: 'BAD_HEADER' });
      expect(r.stderr).toContain(`${to}: expected START-END with START <= END < 2^52`);
    }
  });
});

describe('empty input', () => {
  const empty = put('empty.txt', '');
  it.each([['replay'], ['check'], ['diff']])('%s of an empty file: exit 2, EMPTY_INPUT', async (cmd) => {
    const r = await cli(cmd, empty);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${empty}: EMPTY_INPUT the file is empty (no header and no events)\n`);
  });
  // these read Ops through one reader (op-input.ts); 0 Ops printed as a clean report was exit 0
  it.each([
    ['ops', 'empty.dax', []],
    ['ops', 'empty.jsonl', ['--to-dax']],
    ['explore', 'empty.dax', []],
    ['holders', 'empty.jsonl', []],
    ['export', 'empty.jsonl', ['--perfetto', join(dir, 'empty-out.json')]],
    ['report', 'empty.jsonl', ['--html', join(dir, 'empty-out.html')]],
    ['minimize', 'empty.dax', ['--keep', 'hang']],
  ] as const)('%s of an empty %s: exit 2, EMPTY_INPUT, nothing written', async (cmd, name, extra) => {
    const path = put(name, '');
    const r = await cli(cmd, path, ...extra);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${path}: EMPTY_INPUT the file is empty (no header and no events)\n`);
    expect(r.stdout).toBe('');
    expect(existsSync(join(dir, 'empty-out.json')) || existsSync(join(dir, 'empty-out.html'))).toBe(false);
  });
});

describe('output flags other than --out', () => {
  const OPS = join(root, 'replays/s1-pte-fault-munmap-truncate/ops.jsonl');
  it.each([['export', '--perfetto'], ['report', '--html']])('%s %s "": exit 2 naming that flag', async (cmd, flag) => {
    const r = await cli(cmd, OPS, flag, '');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${flag} "": expected a file name\n`);
  });
  it('minimize --out naming a directory: exit 2 before any replay', async () => {
    const r = await cli('minimize', OPS, '--keep', 'divergence:baseline', '--out', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${dir}: a directory, not a regular file; refusing to replace it\n`);
  });
});
