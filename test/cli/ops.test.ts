/**
 * `dax-refsim ops` both ways, and `.dax` scenarios taken by replay and diff wherever
 * an Op file is.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './in-process.ts';

const S9 = 'replays/s9-unpin-wakes-truncate';

describe('dax-refsim ops', () => {
  it('prints a scenario as the Op JSONL its case folder holds', async () => {
    const r = await cli('ops', `${S9}/scenario.dax`);
    expect(r).toEqual({ status: 0, stdout: readFileSync(`${S9}/ops.jsonl`, 'utf8'), stderr: '' });
  });
  it('--to-dax turns Op JSONL into a scenario that reads back to the same JSONL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-ops-'));
    try {
      const r = await cli('ops', '--to-dax', `${S9}/ops.jsonl`);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(
        'scenario "S9 (fixed column): fault + pin, truncate waits, unpin through the hooked path wakes it"\nprocess A\nfile F 0..4K -> 0x48050\n' +
          'pgmap pmem0 fsdax 0x40000 +512M\nA: mmap F 0..4M shared\nA: fault F\nA: pin F\ntruncate F\nunpin F\n',
      );
      const f = join(dir, 's9.dax');
      writeFileSync(f, r.stdout);
      expect((await cli('ops', f)).stdout).toBe(readFileSync(`${S9}/ops.jsonl`, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('--to-dax lifts a recorded trace', async () => {
    const r = await cli('ops', '--to-dax', 'events/traces/k61-ext4-daxrace.trace.txt');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('# lifted from a trace recorded on 6.1.0-56-amd64; "line N" is the trace line of each Op');
    expect(r.stdout).toContain('dio-release "259:0/0xc"+8K line 175\n');
    // the recording kernel's profile: the scenario replays under 6.1's model without --model
    expect(r.stdout.split('\n')[1]).toBe('profile legacy@6.1');
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-ops-'));
    try {
      const f = join(dir, 'race.dax');
      writeFileSync(f, r.stdout);
      const p = await cli('replay', f, '--format', 'json');
      expect(p.status).toBe(1);
      expect(JSON.parse(p.stdout)).toMatchObject({ profile: 'legacy@6.1', findings: [{ code: 'missed-wakeup' }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('bad scenario: every bad line positioned, exit 2, no output file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-ops-'));
    try {
      const f = join(dir, 'bad.dax');
      writeFileSync(f, 'process A\npgmap pmem0 fsdax 0x40000 +512M\nA: fautl F\nB: pin 0x48050\n');
      const r = await cli('ops', f, '--out', join(dir, 'out.jsonl'));
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`${f}:3:4 UNKNOWN_OP unknown operation "fautl" (expected fault, mkwrite, hole-read, munmap, split, fork, exit, get, pin, put, unpin, dio-grab, dio-release, cow, break, truncate, punch, evict, devpriv-alloc, devpriv-free, pgmap, memunmap, mmap, mremap, madvise, mprotect (or an Op type such as pgmap.register, pgmap.unregister, dax.fault…, or a raw {JSON} Op))\n${f}:4:1 UNDECLARED process B is not declared (expected a "process B" line above (threads are P or P.n of a declared process P))\n`);
      expect(existsSync(join(dir, 'out.jsonl'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('usage: ops on JSONL without --to-dax, --to-dax on a scenario', async () => {
    expect((await cli('ops', `${S9}/ops.jsonl`)).status).toBe(2);
    expect((await cli('ops', '--to-dax', `${S9}/scenario.dax`)).status).toBe(2);
  });
});

describe('.dax wherever an Op file is taken', () => {
  it('replay: same report as the JSONL, --at N', async () => {
    for (const at of [[], ['--at', '3']]) {
      const a = await cli('replay', `${S9}/scenario.dax`, '--model', 'legacy', '--format', 'json', ...at);
      const b = await cli('replay', `${S9}/ops.jsonl`, '--model', 'legacy', '--format', 'json', ...at);
      expect(a.status).toBe(0);
      expect(a.stdout).toBe(b.stdout);
    }
    const header = await cli('replay', `${S9}/scenario.dax`);
    expect(header.status).toBe(2);
    // a scenario has no header: the message names its missing profile line
    expect(header.stderr).toBe(`${S9}/scenario.dax is a scenario with no "profile" line: give --model legacy|unified|<family>@<version>\n`);
  });
  it('replay takes the model from a scenario\'s profile line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-ops-'));
    try {
      const f = join(dir, 's9.dax');
      writeFileSync(f, `profile legacy@6.1\n${readFileSync(`${S9}/scenario.dax`, 'utf8')}`);
      const r = await cli('replay', f, '--format', 'json');
      expect(JSON.parse(r.stdout)).toMatchObject({ profile: 'legacy@6.1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('diff: a scenario file or its folder gives the golden diff', async () => {
    const golden = readFileSync(`${S9}/expected.diff.json`, 'utf8');
    expect((await cli('diff', `${S9}/scenario.dax`, '--format', 'json')).stdout).toBe(golden);
    expect((await cli('diff', S9, '--format', 'json')).stdout).toBe(golden);
  });
});
