/**
 * The first snap as evidence of the recording model (check/evidence.ts restingSnap):
 * a snap value is a page's resting count only when no earlier event touched the page
 * or its folio. The 7.2/7.3 daxrace recordings fault their four pages in before the
 * first marker; with the fs_dax fault lines filtered out (what a `grep -v ': dax_'`
 * leaves) the first snap's `r_48050=1` is a unified folio mapped once (insert_page()
 * took the reference), and `check` used to warn that the trace showed a legacy kernel.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EvidenceCollector } from '../../src/check/evidence.ts';
import { tracePath, traceText } from '../lift/fixtures.ts';
import { check, checkDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-resting-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The event name of a trace line (`task-pid [cpu] flags ts: name: …`), or null. */
const EVENT = /^\s*\S.*?\[\d+\]\s+(?:\S+\s+)?[\d.]+:\s+([A-Za-z0-9_]+):/;

/** The trace without the event lines whose name matches `drop` (the header kept). */
function without(name: string, drop: RegExp): string {
  const path = join(dir, `${name}.${drop.source.replace(/\W/g, '')}`);
  writeFileSync(path, traceText(name).split('\n').filter((l) => l.startsWith('#') || !drop.test(EVENT.exec(l)?.[1] ?? '')).join('\n'));
  return path;
}

const UNLIFTED = (line: number, made: number): string =>
  `12 probe event(s) of a DAX fault's insert or rmap, a GUP's grab or a bio's release are part of no operation the trace shows (first: line ${line}: vmf_insert_page_mkwrite of pfn 0x48050 is part of no fault the trace shows (no dax_pte_fault and dax_pte_fault_done (or dev_dax_huge_fault) event around it: those probe lines filtered out, or the probe not enabled?)): no operation is lifted from them; from the first such event on a folio, a disagreement there (mismatch, untraced change, finding) is unknown, the missing operation's mapping, references or pin not being replayed (${made} made unknown)`;

describe('a first snap after the workload touched its pages is no resting count', () => {
  it.each([
    ['k73-ext4-daxrace.trace.txt', 'unified@7.3', 150],
    ['k72-ext4-daxrace.trace.txt', 'unified@7.2', 145],
  ])('%s without its dax_* lines: no warning that the trace shows a legacy kernel', async (name, profile, first) => {
    const path = without(name, /^dax_/);
    const r = await check({ trace: path });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('warning');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('\nok (assuming the 1 assumption(s) below): 81 observations, 25 matched, 56 unknown, 0 untraced, 0 mismatches, 0 findings\n');
    const { doc } = await checkDoc({ trace: path });
    expect(doc).toMatchObject({ profile, warnings: [], evidence: [], mismatches: [], findings: [], untraced: [] });
    expect(doc.assumptions).toEqual([UNLIFTED(first, 19)]);
  });

  it('the full 7.3 recording: the evidence is the unified dax_folio_reset_order() alone, not a legacy idle value too', async () => {
    const { code, doc } = await checkDoc({ trace: tracePath('k73-ext4-daxrace.trace.txt') });
    expect(code).toBe(0);
    expect(doc.warnings).toEqual([]);
    expect(doc.evidence).toEqual([{ family: 'unified', kind: 'folio mapping', line: 202, text: 'dax_folio_reset_order() ran (it exists only in unified kernels, 6.15+)' }]);
  });

  it('6.12 daxrace under --kernel 7.2 still warns, on the devmap hook alone: its first snap follows the faults', async () => {
    const r = await check({ trace: tracePath('k612-ext4-daxrace.trace.txt'), kernel: '7.2' });
    expect(r.code).toBe(1);
    const warning = 'the trace shows a legacy kernel, not unified@7.2 as --kernel 7.2 says: line 165: __put_devmap_managed_folio_refs() ran (the devmap put hook exists only in legacy kernels)';
    expect(r.stdout).toContain(`\nwarning: ${warning}\n`);
    expect(r.stderr).toBe(`dax-refsim: warning: ${warning}\n`);
  });

  it('6.12 daxwork whose header claims 7.3: its first snap precedes every event, so 1 is the legacy resting count and the warning names it', async () => {
    const path = join(dir, 'k612-ext4-daxwork.as-7.3.txt');
    writeFileSync(path, traceText('k612-ext4-daxwork.trace.txt').replace(/^KTRACE-BEGIN kernel=\S+/, 'KTRACE-BEGIN kernel=7.3.4+deb13-amd64'));
    const { doc } = await checkDoc({ trace: path });
    expect(doc.profile).toBe('unified@7.3');
    expect(doc.warnings).toEqual([
      "the trace shows a legacy kernel, not unified@7.3 as the header's kernel=7.3.4+deb13-amd64 says: line 132: fsdax pfn 0x48400 rests at refcount 1 in the first snap (legacy idle; unified rests at 0); line 196: __put_devmap_managed_folio_refs() ran (the devmap put hook exists only in legacy kernels)",
    ]);
  });
});

describe('EvidenceCollector.restingSnap', () => {
  const LEGACY_IDLE = { family: 'legacy', kind: 'idle value', line: 9, text: 'fsdax pfn 0x48050 rests at refcount 1 in the first snap (legacy idle; unified rests at 0)' };

  it('an untouched page at 1 is the legacy idle value, at 0 the unified one', () => {
    const e = new EvidenceCollector();
    e.touch(0x48051);
    e.restingSnap(9, 0x48050, 1);
    e.restingSnap(9, 0x48052, 0);
    expect(e.list).toEqual([LEGACY_IDLE, { family: 'unified', kind: 'idle value', line: 9, text: 'fsdax pfn 0x48052 rests at refcount 0 in the first snap (unified idle; legacy rests at 1)' }]);
    expect(e.verdict()).toBe('mixed');
  });

  it('a touched page at 1 is no evidence; at 0 it is unified (legacy never reaches 0), not said to rest', () => {
    const e = new EvidenceCollector();
    e.touch(0x48050);
    e.touch(0x48052);
    e.restingSnap(9, 0x48050, 1);
    expect(e.list).toEqual([]);
    e.restingSnap(9, 0x48052, 0);
    expect(e.list).toEqual([
      { family: 'unified', kind: 'idle value', line: 9, text: 'fsdax pfn 0x48052 is at refcount 0 in the first snap, after earlier events touched it (a legacy DAX page never reaches 0 while its pgmap lives; unified frees an FS DAX folio to 0 and keeps its tails at 0)' },
    ]);
  });

  it('a touch covers the folio: every page of a PMD block, none past it', () => {
    const e = new EvidenceCollector();
    e.touch(0x48600, 512);
    for (const pfn of [0x48600, 0x48601, 0x487ff]) e.restingSnap(9, pfn, 1);
    expect(e.list).toEqual([]);
    e.restingSnap(9, 0x48800, 1);
    expect(e.list.map((x) => x.text)).toEqual(['fsdax pfn 0x48800 rests at refcount 1 in the first snap (legacy idle; unified rests at 0)']);
  });

  it('an unaligned range is kept as aligned blocks: its first and last pages touched, the neighbours not', () => {
    const e = new EvidenceCollector();
    e.touch(0x48003, 0x205); // 0x48003..0x48207
    for (const pfn of [0x48003, 0x48004, 0x48100, 0x48200, 0x48207]) e.restingSnap(9, pfn, 1);
    expect(e.list).toEqual([]);
    e.restingSnap(9, 0x48208, 1);
    e.restingSnap(10, 0x48002, 1);
    expect(e.list.map((x) => x.line)).toEqual([9]);
  });

  it('a fault whose page no event names makes every first-snap 1 no evidence', () => {
    const e = new EvidenceCollector();
    e.touchUnnamed(4);
    e.restingSnap(9, 0x48050, 1);
    expect(e.list).toEqual([]);
  });

  it('wants touches until the first snap has been read', () => {
    const e = new EvidenceCollector();
    expect(e.wantsTouches).toBe(true);
    e.endTouches();
    expect(e.wantsTouches).toBe(false);
  });
});
