/**
 * Every observation ends as exactly one of matched, unknown, untraced or mismatch, so a
 * check's `observations` is always their sum (issue 15 item 4). A mismatch or untraced
 * change after lost events (ftrace's `CPU:N [LOST n EVENTS]`, trace-cmd's
 * `CPU:N [n EVENTS DROPPED]`) is reported as unknown; it used to be counted a second
 * time in `observations` when it moved there, so the total exceeded its parts.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../src/check/check-file.ts';
import type { CheckOutcome } from '../../src/check/result.ts';
import { TRACES, traceText } from '../lift/fixtures.ts';
import { check } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-obs-sum-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every shipped trace `check` reads as text (ftrace and trace-cmd report). */
const SHIPPED = readdirSync(TRACES)
  .filter((n) => n.endsWith('.txt'))
  .sort();

/** The four parts, each counted whole (a `--max-details` cap lists fewer than it counts). */
function parts(o: CheckOutcome): { matched: number; unknown: number; untraced: number; mismatches: number } {
  return { matched: o.matched, unknown: o.unknown, untraced: o.untraced.length + (o.notListed?.untraced ?? 0), mismatches: o.mismatches.length + (o.notListed?.mismatches ?? 0) };
}

function expectSum(o: CheckOutcome, what: string): void {
  const p = parts(o);
  expect({ what, observations: o.observations }).toEqual({ what, observations: p.matched + p.unknown + p.untraced + p.mismatches });
}

/** The 1-based numbers of a trace's event lines (not comments, not the KTRACE markers). */
function eventLines(lines: readonly string[]): number[] {
  return lines.flatMap((l, i) => (l.trim() === '' || l.startsWith('#') || l.startsWith('KTRACE') ? [] : [i + 1]));
}

/**
 * The trace with a loss marker before event line `at` (the trace-cmd form in a
 * trace-cmd report, ftrace's otherwise); with `corrupt`, the first `ref=` (or snap
 * `r_PFN=`) value of a DAX page after the marker is raised by 5, a disagreement the loss makes unknown.
 */
function lossy(name: string, at: number, corrupt: boolean): string {
  const lines = traceText(name).split('\n');
  const marker = name.includes('tracecmd') ? 'CPU:1 [3 EVENTS DROPPED]' : 'CPU:1 [LOST 3 EVENTS]';
  if (corrupt) {
    // a probe's ref or a snap's r_PFN (not an anon_rmap probe's: an anonymous page is no
    // ZONE_DEVICE page, nothing compares it; nor a NULL page's)
    const i = lines.findIndex((l, j) => j >= at - 1 && / (ref|r_[0-9a-f]+)=\d+/.test(l) && !/ anon_rmap| page=0x0 /.test(l));
    if (i >= 0) lines[i] = lines[i]!.replace(/ (ref|r_[0-9a-f]+)=(\d+)/, (_, f: string, n: string) => ` ${f}=${Number(n) + 5}`);
  }
  lines.splice(at - 1, 0, marker);
  const path = join(dir, `${name}-${at}${corrupt ? '-c' : ''}.txt`);
  writeFileSync(path, lines.join('\n'));
  return path;
}

describe('observations = matched + unknown + untraced + mismatches', () => {
  it.each(SHIPPED)('%s: as shipped, and with a loss marker at a tenth, half and nine tenths of its events, with and without a corrupted ref after it', async (name) => {
    const clean = (await checkTraceFile(join(TRACES.pathname, name))).outcome;
    expectSum(clean, 'as shipped');
    expect(clean.lost?.events ?? 0).toBe(0);
    const events = eventLines(traceText(name).split('\n'));
    let moved = 0;
    for (const frac of [0.1, 0.5, 0.9]) {
      const at = events[Math.floor(events.length * frac)]!;
      const plain = (await checkTraceFile(lossy(name, at, false))).outcome;
      expectSum(plain, `marker at line ${at}`);
      expect(plain.lost?.events).toBe(3);
      const bad = (await checkTraceFile(lossy(name, at, true))).outcome;
      expectSum(bad, `marker at line ${at}, a ref corrupted after it`);
      // after a loss, a disagreement is never a mismatch or an untraced change
      expect(parts(bad)).toMatchObject({ untraced: parts(plain).untraced, mismatches: parts(plain).mismatches });
      moved += bad.unknown - plain.unknown;
    }
    // the corrupted refs do reach the report, as unknowns
    expect(moved).toBeGreaterThan(0);
  });

  it('k72-ext4-daxwork: a ref after a LOST marker raised by 5 is one unknown, and the observations stay 483', async () => {
    const name = 'k72-ext4-daxwork.trace.txt';
    const lines = traceText(name).split('\n');
    // the rmap_add_ptes at line 197 reads ref=2 of pfn 0x48053; the marker goes before line 98
    expect(lines[196]).toMatch(/ rmap_add_ptes: .* page=0xffffea00012014c0 nr=1 ref=2 mapcount=-1$/);
    lines[196] = lines[196]!.replace(' ref=2 ', ' ref=7 ');
    lines.splice(97, 0, 'CPU:1 [LOST 3 EVENTS]');
    const path = join(dir, 'k72-lost-ref.txt');
    writeFileSync(path, lines.join('\n'));
    const r = await check({ trace: path });
    expect(r.code).toBe(0);
    // was 484 observations: the mismatch counted once when decided and again as the loss's unknown
    expect(r.stdout.split('\n')).toContain('ok: 483 observations, 482 matched, 1 unknown, 0 untraced, 0 mismatches, 0 findings, 3 events lost');
    expect(r.stdout).toContain('unknown at line 198 (folio_add_file_rmap_ptes): pfn 0x48053 ref recorded 7, simulated 2: 3 event(s) lost from line 98 on: a change the trace does not hold may explain the difference');
  });
});
