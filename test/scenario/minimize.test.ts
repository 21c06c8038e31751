/**
 * ddmin over Ops: dependencies, the 10,000-Op stream with one injected unmatched get,
 * and the 6.1 daxrace trace shrunk to its missed wakeup.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDax } from '../../src/scenario/parser.ts';
import { closure, dependencies, minimize } from '../../src/scenario/minimize.ts';
import { checkExpectations } from '../../src/scenario/expect.ts';
import { modelFor } from '../../src/models/index.ts';
import { runOps } from '../../src/engine/runner.ts';
import type { DaxScenario } from '../../src/scenario/types.ts';
import { generatedScenario } from '../fixtures/generated-stream.ts';
import { cli } from '../cli/in-process.ts';

function ok(text: string): DaxScenario {
  const r = parseDax(text, 't.dax');
  if ('issues' in r) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r;
}

describe('dependencies', () => {
  it('pgmap, the fault that mapped a GUP page, put ↔ get, unpin ↔ pin, dio pairs, mkwrite, devpriv, fork', () => {
    const s = ok(['process A', 'pgmap pmem0 fsdax 0x40000 +512M', 'pgmap dp private 0x100000 +128M', 'file F 0..8K -> 0x48050', 'A: mmap F 0..8K shared',
      'A: fault F', 'A: get F', 'A: pin F', 'put F', 'A: mkwrite F', 'unpin F', 'A: dio-grab F+4K', 'dio-release F+4K', 'A: get F', 'devpriv-alloc 0x100010', 'devpriv-free 0x100010', 'A: fork C', 'C: exit', 'memunmap pmem0'].join('\n'));
    const d = dependencies(s.ops);
    // indices: 0 pgmap, 1 dp, 2 fault, 3 get, 4 pin, 5 put, 6 mkwrite, 7 unpin, 8 grab, 9 release, 10 get, 11 alloc, 12 free, 13 fork, 14 exit, 15 memunmap
    expect(d).toEqual([[], [], [0], [0, 2, 5], [0, 2, 7], [0, 3], [0, 2], [0, 4], [0, 9], [0, 8], [0, 2], [1], [1, 11], [], [13], [0]]);
    expect(closure([5], d)).toEqual([0, 2, 3, 5]);
    // the last get is never put: a unit of its own (with its pgmap and fault)
    expect(closure([10], d)).toEqual([0, 2, 10]);
  });
});

describe('minimize', () => {
  it('a generated 10,000-Op stream with one unmatched get shrinks to the get, what it depends on, and the memunmap that reports it', () => {
    const clean = ok(generatedScenario(10_000).text);
    expect(clean.ops).toHaveLength(10_000);
    expect(runOps(modelFor('legacy'), clean.ops).findings).toEqual([]);
    const g = generatedScenario(10_000, 5_000);
    const s = ok(g.text);
    expect(s.ops).toHaveLength(10_000);
    const injected = s.lines.indexOf(g.injectedLine!);
    const r = minimize(s.ops, { kind: 'finding', code: 'pgmap-unregister-busy', model: modelFor('legacy') })!;
    const kept = r.indices.map((i) => s.ops[i]!);
    expect(kept.map((o) => o.type)).toEqual(['pgmap.register', 'dax.fault', 'gup.get', 'pgmap.unregister']);
    // the get is the injected one; the others are its pgmap and the fault that mapped its page
    expect(r.indices[2]).toBe(injected);
    expect(closure([injected], dependencies(s.ops))).toEqual(r.indices.slice(0, 3));
    expect(kept[1]).toMatchObject({ file: 'F3', pgoff: 2, write: true });
    // deterministic
    expect(minimize(s.ops, { kind: 'finding', code: 'pgmap-unregister-busy', model: modelFor('legacy') })).toEqual(r);
  });

  it('the 6.1 daxrace trace with --keep finding:missed-wakeup: at most 10 Ops, the expect holds on legacy@6.1 and fails on unified', async () => {
    const r = await cli('minimize', 'events/traces/k61-ext4-daxrace.trace.txt', '--keep', 'finding:missed-wakeup');
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^minimize: 5 of 8 Ops, \d+ replays$/);
    expect(r.stdout).toBe([
      'scenario "minimized from events/traces/k61-ext4-daxrace.trace.txt: 5 of 8 Ops still show finding missed-wakeup on legacy@6.1"',
      'profile legacy@6.1',
      'process "mm:368"',
      'file "259:0/0xc" 8K..12K -> 0x48052',
      'pgmap pmem0 fsdax 0x40000 +512M',
      '"mm:368": mmap "259:0/0xc" 0..12K shared at 0x7fe894ac4000',
      '"mm:368": fault "259:0/0xc"+8K write line 152',
      '"mm:368": dio-grab "259:0/0xc"+8K fast write line 165',
      'punch "259:0/0xc" 8K..12K ext4 line 172',
      'dio-release "259:0/0xc"+8K line 175',
      'expect legacy@6.1: finding missed-wakeup',
      '',
    ].join('\n'));
    const s = ok(r.stdout);
    expect(s.ops.length).toBeLessThanOrEqual(10);
    expect(checkExpectations(s.ops, s.expects).map((x) => x.holds)).toEqual([true]);
    const onUnified = ok(r.stdout.replace('expect legacy@6.1:', 'expect unified:'));
    expect(checkExpectations(onUnified.ops, onUnified.expects).map((x) => [x.holds, x.actual])).toEqual([[false, 'no findings']]);
  });

  it('divergence classes and hangs; an input that does not show it exits 1; mismatch of a scenario is refused with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-min-'));
    try {
      const d = await cli('minimize', 'replays/s4-pmd-split-pte-refault', '--keep', 'divergence:folio-shape');
      expect(d.status).toBe(0);
      const s = ok(d.stdout);
      expect(s.expects.map((e) => e.text)).toEqual(['diff: folio-shape']);
      expect(checkExpectations(s.ops, s.expects)[0]!.holds).toBe(true);
      expect(s.ops.length).toBeLessThan(9);
      // another pair: the expect line names it, and holds (expect diff: would compare legacy@6.14)
      const w = await cli('minimize', 'events/traces/k61-ext4-daxrace.trace.txt', '--keep', 'divergence:wake', '--models', 'legacy@6.1,unified');
      expect(w.status).toBe(0);
      expect(w.stdout.split('\n').slice(-2)).toEqual(['expect legacy@6.1 vs unified@7.2: wake', '']);
      expect(w.stderr).not.toContain('note:');
      const ws = ok(w.stdout);
      expect(checkExpectations(ws.ops, ws.expects).map((e) => e.holds)).toEqual([true]);
      const f = join(dir, 'hang.dax');
      writeFileSync(f, 'profile legacy@6.1\nprocess A\npgmap pmem0 fsdax 0x40000 +512M\nfile F 0..8K -> 0x48050\nA: mmap F 0..8K shared\nA: fault F+4K\nA: fault F\nA: dio-grab F fast write\ntruncate F\ndio-release F\n');
      const h = await cli('minimize', f, '--keep', 'hang');
      expect(h.stdout.split('\n').slice(-6).join('\n')).toBe('A: fault F\nA: dio-grab F fast write\ntruncate F\ndio-release F\nexpect legacy@6.1: waiting\n');
      const none = await cli('minimize', 'replays/s1-pte-fault-munmap-truncate', '--keep', 'finding:missed-wakeup');
      expect(none.status).toBe(1);
      expect(none.stderr).toContain('does not show finding missed-wakeup on legacy@6.14: nothing to keep');
      const mm = await cli('minimize', 'replays/s4-pmd-split-pte-refault', '--keep', 'mismatch');
      expect(mm.status).toBe(2);
      expect(mm.stderr).toBe('--keep mismatch: replays/s4-pmd-split-pte-refault/scenario.dax is no recorded trace: a mismatch is between a trace\'s recorded observations and the model; give the trace\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--keep mismatch shrinks a trace to the Ops whose lines still give the same mismatch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-min-'));
    try {
      // k72-ext4-daxwork with line 175's ref=1 (the mkwrite fault's own reference) changed to 7
      const lines = readFileSync('events/traces/k72-ext4-daxwork.trace.txt', 'utf8').split('\n');
      lines[174] = lines[174]!.replace('write=1 ref=1 ', 'write=1 ref=7 ');
      const trace = join(dir, 'altered.trace.txt');
      writeFileSync(trace, lines.join('\n'));
      const r = await cli('minimize', trace, '--keep', 'mismatch');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe([
        '# check of the trace lines these Ops came from ("line N"), with the header and every line no Op came from:',
        '# mismatch at line 175 (vmf_insert_page_mkwrite): pfn 0x48050 ref recorded 7, unified@7.2 1',
        '# the check takes over the recorded values of a snap line that differs, and those lines stay: replaying',
        '# these Ops alone need not give the simulated value above; a .dax carries no recorded values, and its',
        '# expect line is the model\'s refcount of that page at the end of these Ops',
        `scenario "minimized from ${trace}: 2 of 26 Ops still show the mismatch at line 175"`,
        'profile unified@7.2',
        'process "mm:390"',
        'file "259:0/0xd" 0..4K -> 0x48050',
        'pgmap pmem0 fsdax 0x40000 +512M',
        '"mm:390": mmap "259:0/0xd" 0..4K shared at 0x7f989e400000',
        '"mm:390": fault "259:0/0xd" write line 174',
        'expect unified@7.2: 0x48050 refcount 1',
        '',
      ].join('\n'));
      expect(r.stderr.split('\n').at(-2)).toMatch(/^minimize: 2 of 26 Ops, \d+ checks$/);
      // the scenario's expect holds
      const s = ok(r.stdout);
      expect(checkExpectations(s.ops, s.expects).map((e) => e.holds)).toEqual([true]);
      // a clean recording shows no mismatch: exit 1
      const clean = await cli('minimize', 'events/traces/k72-ext4-daxwork.trace.txt', '--keep', 'mismatch');
      expect(clean.status).toBe(1);
      expect(clean.stderr).toContain('events/traces/k72-ext4-daxwork.trace.txt does not show a mismatch: nothing to keep');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
