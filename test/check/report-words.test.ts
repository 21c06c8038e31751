/**
 * Words of the check report a kernel reader takes literally: a pfn is written in hex
 * wherever the report names one, and a finding that begins with a syscall or kernel
 * function name keeps its case (`mprotect()`, not `Mprotect()`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCheckText, sentenceStart } from '../../src/check/report-text.ts';
import type { CheckOutcome } from '../../src/check/result.ts';
import { traceText } from '../lift/fixtures.ts';
import { check } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-words-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check report words', () => {
  it('an unmatched page_ref event names its pfn in hex, as the rest of the line does', async () => {
    // a page_ref put the kernel never made: line 187's put of 0x48050, printed twice
    const lines = traceText('k72dbg-ext4-daxwork.trace.txt').split('\n');
    const at = lines.findIndex((l) => l.includes('page_ref_mod_and_test: pfn=0x48050 flags=reserved count=1 mapcount=0'));
    expect(at).toBe(186);
    lines.splice(at + 1, 0, lines[at]!.replace('count=1 mapcount=0', 'count=0 mapcount=0'));
    const path = join(dir, 'extra-put.trace.txt');
    writeFileSync(path, lines.join('\n'));
    const r = await check({ trace: path });
    expect(r.stdout).toContain('ok: 584 observations, 583 matched, 1 unknown, 0 untraced, 0 mismatches, 0 findings\n');
    expect(r.stdout).toContain('unknown at line 188 (page_ref_mod_and_test): pfn 0x48050 count recorded 0: no page_ref_mod_and_test (pfn 0x48050, val -1) among the model\'s events\n');
  });

  it('a finding that starts with a syscall name keeps its case', () => {
    const o: CheckOutcome = {
      kernel: '6.1.0-57-amd64', profile: 'legacy@6.1', kconfig: {}, observations: 1, matched: 1, unknown: 0,
      untraced: [], mismatches: [], unknowns: [], findingLines: new Map([[7, 460]]),
      findings: [{ code: 'pud-clear-bad', severity: 'warn', seq: 7, pfn: '0x140000', function: 'pud_clear_bad', message: 'mprotect() of mm:3671 at 0x7f4a00000000: change_pud_range() takes the device PUD for a bad table (pud_none_or_clear_bad()) and clears it; no count changes, the next access faults again' }],
    };
    const text = formatCheckText('t', o, () => undefined);
    expect(text).toContain('finding pud-clear-bad (warn) at line 460, pfn 0x140000, in pud_clear_bad:\n  mprotect() of mm:3671 at 0x7f4a00000000: change_pud_range() takes the device\n');
    expect(text).not.toContain('Mprotect()');
  });

  it('an untraced change with no earlier line says before which line it happened, not "between lines 0 and"', () => {
    const o: CheckOutcome = {
      kernel: '7.2.13', profile: 'unified@7.2', kconfig: {}, observations: 2, matched: 0, unknown: 0,
      untraced: [
        { pfn: '0x48050', field: 'refcount', before: 0, after: 2, lines: [0, 158] },
        { pfn: '0x48051', field: 'refcount', before: 1, after: 3, lines: [160, 171] },
      ],
      mismatches: [], unknowns: [], findingLines: new Map(), findings: [],
    };
    const text = formatCheckText('t', o, () => undefined);
    expect(text).toContain('untraced change before line 158: pfn 0x48050 refcount 0 -> 2 (no recorded event explains it; continuing from the recorded value)\n');
    expect(text).toContain('untraced change between lines 160 and 171: pfn 0x48051 refcount 1 -> 3 (no recorded event explains it; continuing from the recorded value)\n');
    expect(text).not.toContain('lines 0 and');
  });

  it('a finding that starts with a word is a capitalised sentence', () => {
    expect(sentenceStart('the O_DIRECT completion brings page 0x48058 to refcount 1')).toBe('The O_DIRECT completion brings page 0x48058 to refcount 1');
    expect(sentenceStart('mremap() of mm:3671')).toBe('mremap() of mm:3671');
    expect(sentenceStart('folio_put_refs() drops')).toBe('folio_put_refs() drops');
  });
});
