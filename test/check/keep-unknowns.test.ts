/**
 * keepUnknowns (what `check`'s text report uses so that memory does not grow with the
 * trace, issue 16): the first unknowns kept in full, the rest counted by field and
 * reason in the order first seen, and the counts and the text report as with every
 * unknown kept.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../src/check/check-file.ts';
import { formatCheckText } from '../../src/check/report-text.ts';
import type { CheckOutcome } from '../../src/check/result.ts';
import { traceText } from '../lift/fixtures.ts';
import { pageRefOnly } from '../fixtures/trace-variants.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-keep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A shipped trace with a LOST marker before its first event of pfn 0x48050 (so later disagreements are unknown). */
function lossy(name: string, text: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => / pfn=0x48050 /.test(l) || /page_ref_mod: pfn=0x48050 /.test(l));
  lines.splice(at, 0, 'CPU:1 [LOST 1 EVENTS]');
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n'));
  return path;
}

/** The unknowns of a full outcome past `keep`, counted as keepUnknowns counts them. */
function countedPast(o: CheckOutcome, keep: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const u of o.unknowns.slice(keep)) m.set(`${u.field}: ${u.reason}`, (m.get(`${u.field}: ${u.reason}`) ?? 0) + 1);
  return m;
}

describe('check keeping only the first unknowns', () => {
  it('a page_ref-only trace after a loss: same counts, the first unknowns, the rest counted by reason in order', async () => {
    const path = lossy('refs.txt', pageRefOnly(traceText('k72dbg-ext4-daxwork.trace.txt')));
    const all = (await checkTraceFile(path)).outcome;
    expect(all.unknown).toBeGreaterThan(5);
    expect(all.unknownsOmitted).toBeUndefined();
    const kept = (await checkTraceFile(path, { keepUnknowns: 5 })).outcome;
    expect(kept.unknown).toBe(all.unknown);
    expect(kept.observations).toBe(all.observations);
    expect(kept.matched).toBe(all.matched);
    expect(kept.mismatches).toEqual(all.mismatches);
    expect(kept.unknowns).toEqual(all.unknowns.slice(0, 5));
    expect([...kept.unknownsOmitted!]).toEqual([...countedPast(all, 5)]);
    // the text report prints the first unknowns and counts the rest: the same with either
    const lineText = (): undefined => undefined;
    const few = (await checkTraceFile(path, { keepUnknowns: 0 })).outcome;
    expect(few.unknowns).toEqual([]);
    expect(formatCheckText('t', few, lineText)).toBe(formatCheckText('t', { ...all, unknowns: [], unknownsOmitted: countedPast(all, 0) }, lineText));
    // more kept than there are: nothing counted, the outcome as with all kept
    const roomy = (await checkTraceFile(path, { keepUnknowns: all.unknown })).outcome;
    expect(roomy.unknownsOmitted).toBeUndefined();
    expect(formatCheckText('t', roomy, lineText)).toBe(formatCheckText('t', all, lineText));
  });
});
