/**
 * One row per row of the robustness issue's table and per bad-input class (file
 * system, arguments, numbers out of range, nesting, encodings, line length): the exit
 * code, the message code and its position. Nothing here may reach exit 3.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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
    for (const cmd of ['replay', 'check']) {
      const r = await cli(cmd, trace, '--max-line-bytes', '200');
      expect(r.status).toBe(2);
      const issue = firstIssue(r.stderr);
      expect(issue?.code).toBe('LINE_TOO_LONG');
      expect(issue?.column).toBe(201);
    }
    expect((await cli('replay', EX, '--max-line-bytes', '0')).status).toBe(2);
    expect((await cli('replay', EX, '--max-line-bytes', 'lots')).stderr).toContain('--max-line-bytes lots: expected a positive integer');
  });

  it('a trace line with 200,000 leading spaces and garbage is BAD_LINE at its first character', async () => {
    const path = traceWith('k72-ext4-daxwork.trace.txt', (lines) => {
      const i = lineIndex(lines, (l) => l.includes(' snap: '));
      lines[i] = `${' '.repeat(200_000)}garbage`;
    });
    const r = await cli('check', path);
    expect(r.status).toBe(2);
    const issue = firstIssue(r.stderr);
    expect(issue?.code).toBe('BAD_LINE');
    expect(issue?.column).toBe(200_001);
  });

  it('a control character inside a 64-bit hex probe value is BAD_FIELD at the value', async () => {
    const path = traceWith('k612-ext4-daxwork.trace.txt', (lines) => {
      const i = lineIndex(lines, (l) => l.includes('try_grab_folio: (') && l.includes('folio=0xffffea0001201400'));
      lines[i] = lines[i]!.replace('folio=0xffffea0001201400', 'folio=0xffffea00\x01201400');
    });
    const r = await cli('check', path);
    expect(r.status).toBe(2);
    expect(firstIssue(r.stderr)?.code).toBe('BAD_FIELD');
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
