/**
 * `check --max-details N` (issue 16 item 4, issue 15 item 7): at most N mismatches,
 * untraced changes, unknowns and findings are kept and listed, the rest counted
 * exactly; the report says how many were not listed; the exit code does not depend on
 * the cap; and the reports of the shipped traces are byte-identical to those before
 * the cap (the goldens under golden/traces were written by the build before it).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../src/check/check-file.ts';
import type { CheckOutcome } from '../../src/check/result.ts';
import { cli } from '../cli/in-process.ts';
import { ensureBuilt, spawnCli } from '../robust/helpers.ts';
import { disagreeingTrace, firstEventLine, pageRefHeader, type Disagreement } from '../fixtures/disagreeing.ts';
import { pageRefOnly } from '../fixtures/trace-variants.ts';
import { traceText, tracePath } from '../lift/fixtures.ts';
import type { CheckDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-max-details-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER_OF = 'k72dbg-ext4-daxwork.trace.txt';

/** Writes a disagreeing trace of `events` events; its path and the line of its first event. */
function trace(kind: Disagreement, events: number): { path: string; first: number } {
  const header = pageRefHeader(traceText(HEADER_OF), events);
  const path = join(dir, `${kind}-${events}.trace.txt`);
  writeFileSync(path, disagreeingTrace(header, events, kind));
  return { path, first: firstEventLine(header) };
}

/** The JSON document of a CLI check. */
async function doc(...args: string[]): Promise<{ status: number; doc: CheckDoc & { notListed?: Record<string, number> } }> {
  const r = await cli('check', ...args, '--quiet', '--format', 'json');
  return { status: r.status, doc: JSON.parse(r.stdout) as CheckDoc & { notListed?: Record<string, number> } };
}

const lines = (text: string, start: string): string[] => text.split('\n').filter((l) => l.startsWith(start));

describe('a 50,000-event page_ref trace whose every ret disagrees', () => {
  const t = trace('ret', 50_000);
  const summary = 'MISMATCH (assuming the 1 assumption(s) below): 200000 observations, 150000 matched, 0 unknown, 0 untraced, 50000 mismatches, 0 findings';

  it('--max-details 100: the first 100 mismatches, each with its line, then how many more; exact counts; exit 1', async () => {
    const r = await cli('check', t.path, '--quiet', '--max-details', '100');
    expect(r.status).toBe(1);
    const out = r.stdout.split('\n');
    expect(out).toContain(summary);
    const listed = lines(r.stdout, 'mismatch at line ');
    expect(listed).toHaveLength(100);
    expect(listed[0]).toBe(`mismatch at line ${t.first} (page_ref_mod_and_return): pfn 0x48000 ret recorded 8, simulated 1`);
    expect(listed[99]).toBe(`mismatch at line ${t.first + 99} (page_ref_mod_and_return): pfn 0x48023 ret recorded 9, simulated 2`);
    // the last listed mismatch, its quoted trace line, then the count of the rest
    const at = out.indexOf(listed[99]!);
    expect(out[at + 1]).toMatch(new RegExp(`^  ${t.first + 99} \\| daxwork-319 .* page_ref_mod_and_return: pfn=0x48023 .* ret=9$`));
    expect(out[at + 2]).toBe('… and 49900 more mismatches not listed (--max-details 100)');
    expect(lines(r.stdout, '… and')).toEqual(['… and 49900 more mismatches not listed (--max-details 100)']);
  });

  it('--format json: the first 100 mismatches, the exact counts and what was not listed', async () => {
    const { status, doc: d } = await doc(t.path, '--max-details', '100');
    expect(status).toBe(1);
    expect(d).toMatchObject({ observations: 200_000, matched: 150_000, unknown: 0, untraced: [], findings: [], unknowns: [] });
    expect(d.notListed).toEqual({ maxDetails: 100, mismatches: 49_900, untraced: 0, unknowns: 0, findings: 0 });
    expect(d.mismatches).toHaveLength(100);
    expect(d.mismatches[0]).toEqual({ line: t.first, pfn: '0x48000', field: 'ret', recorded: 8, simulated: 1, function: 'page_ref_mod_and_return' });
    // the counts sit with the counts, before the lists
    expect(Object.keys(d).slice(0, 8)).toEqual(['kernel', 'profile', 'kconfig', 'observations', 'matched', 'unknown', 'notListed', 'untraced']);
  });

  it('lists the same first mismatches as an uncapped check, which holds all 50,000', async () => {
    const all = (await checkTraceFile(t.path)).outcome;
    expect(all.mismatches).toHaveLength(50_000);
    expect(all.notListed).toBeUndefined();
    const cut = (await checkTraceFile(t.path, { maxDetails: 100 })).outcome;
    expect(cut.mismatches).toEqual(all.mismatches.slice(0, 100));
    expect(cut.notListed).toEqual({ maxDetails: 100, mismatches: 49_900, untraced: 0, unknowns: 0, findings: 0, errorFindings: 0 });
    expect(cut.observations).toBe(all.observations);
  });

  it('by default lists 1000; --max-details 0 lists none and still exits 1', async () => {
    const d = await cli('check', t.path, '--quiet');
    expect(d.status).toBe(1);
    expect(lines(d.stdout, 'mismatch at line ')).toHaveLength(1000);
    expect(lines(d.stdout, '… and')).toEqual(['… and 49000 more mismatches not listed (--max-details 1000)']);
    const none = await cli('check', t.path, '--quiet', '--max-details', '0');
    expect(none.status).toBe(1);
    expect(none.stdout.split('\n')).toContain(summary);
    expect(lines(none.stdout, 'mismatch at line ')).toEqual([]);
    expect(lines(none.stdout, '… and')).toEqual(['… and 50000 more mismatches not listed (--max-details 0)']);
  });

  it('--out writes what stdout gets, atomically (no temporary file left)', async () => {
    const out = join(dir, 'ret.report.txt');
    const r = await cli('check', t.path, '--quiet', '--max-details', '100', '--out', out);
    expect(r.status).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe((await cli('check', t.path, '--quiet', '--max-details', '100')).stdout);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('every kind capped: untraced changes, unknowns after a loss, findings', () => {
  /** What the capped report must say, from an uncapped check of the same trace. */
  function expected(all: CheckOutcome, cap: number): Record<string, number> {
    const past = (n: number): number => Math.max(0, n - cap);
    return { maxDetails: cap, mismatches: past(all.mismatches.length), untraced: past(all.untraced.length), unknowns: past(all.unknown), findings: past(all.findings.length) };
  }

  it('puts on freed pages (a finding at each event): exact counts and not-listed lines; exit 1 even with none listed', async () => {
    const t = trace('underflow', 20_000);
    const all = (await checkTraceFile(t.path)).outcome;
    // the trace as built: a finding and (after a pfn's first event) an untraced change per event before the loss, unknowns after it
    expect(all.findings.length).toBe(10_001);
    expect(all.untraced.length).toBe(10_001 - 64);
    expect(all.unknown).toBe(2 * 9_999);
    const { status, doc: d } = await doc(t.path, '--max-details', '10');
    expect(status).toBe(1);
    expect(d.notListed).toEqual(expected(all, 10));
    expect(d).toMatchObject({ observations: all.observations, matched: all.matched, unknown: all.unknown });
    expect([d.untraced.length, d.findings.length, d.unknowns?.length]).toEqual([10, 10, 10]);
    const text = await cli('check', t.path, '--quiet', '--max-details', '10');
    expect(text.status).toBe(1);
    expect(text.stdout.split('\n')).toContain(`FINDINGS (assuming the 1 assumption(s) below): ${all.observations} observations, ${all.matched} matched, 19998 unknown, 9937 untraced, 0 mismatches, 10001 findings, 3 events lost`);
    // the LOST marker follows the 10,001st event
    const lost = t.first + 10_001;
    expect(lines(text.stdout, '… and')).toEqual([
      '… and 9927 more untraced changes not listed (--max-details 10)',
      `… and 9989 more unknown count before: 3 event(s) lost from line ${lost} on: a change the trace does not hold may explain the difference`,
      `… and 9999 more unknown finding put-on-freed-page: 3 event(s) lost from line ${lost} on: a change the trace does not hold may explain the difference`,
      '… and 9991 more findings not listed (--max-details 10)',
    ]);
    expect(lines(text.stdout, 'finding put-on-freed-page (error)')).toHaveLength(10);
    // the error findings not listed still decide the exit code
    expect((await cli('check', t.path, '--quiet', '--max-details', '0')).status).toBe(1);
  });

  it('counts that jump (a mismatch at each pfn\'s first event, then untraced): the counts of an uncapped check', async () => {
    const t = trace('jump', 20_000);
    const all = (await checkTraceFile(t.path)).outcome;
    expect(all.mismatches.length).toBe(64);
    const { status, doc: d } = await doc(t.path, '--max-details', '5');
    expect(status).toBe(1);
    expect(d.notListed).toEqual(expected(all, 5));
    expect(d.mismatches).toEqual(all.mismatches.slice(0, 5));
    expect(d.untraced).toEqual(all.untraced.slice(0, 5).map((u) => ({ ...u, lines: [...u.lines] })));
  });
});

describe('unknowns whose reasons differ (each names its pfn): at most --max-details reasons counted, the rest as one', () => {
  it('20,000 events on pfns no pgmap covers', async () => {
    const t = trace('nopgmap', 20_000);
    const r = await cli('check', t.path, '--quiet', '--max-details', '3');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toContain('ok (assuming the 1 assumption(s) below): 20000 observations, 0 matched, 20000 unknown, 0 untraced, 0 mismatches, 0 findings');
    expect(lines(r.stdout, 'unknown at line ')).toHaveLength(3);
    expect(lines(r.stdout, '… and')).toEqual([
      '… and 1 more unknown count: no pgmap covers pfn 0x100003 (give --pmem START-END)',
      '… and 1 more unknown count: no pgmap covers pfn 0x100004 (give --pmem START-END)',
      '… and 1 more unknown count: no pgmap covers pfn 0x100005 (give --pmem START-END)',
      '… and 19994 more unknowns of other reasons not listed (--max-details 3)',
    ]);
    const { doc: d } = await doc(t.path, '--max-details', '3');
    expect(d.unknown).toBe(20_000);
    expect(d.unknowns?.map((u) => u.pfn)).toEqual(['0x100000', '0x100001', '0x100002']);
    expect(d.notListed).toEqual({ maxDetails: 3, mismatches: 0, untraced: 0, unknowns: 19_997, findings: 0 });
  });
});

describe('--max-details values', () => {
  it.each(['-1', '1.5', 'many'])('%s is a usage error (exit 2)', async (v) => {
    const r = await cli('check', tracePath('k72-ext4-daxrace.trace.txt'), '--quiet', '--max-details', v);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--max-details .*: expected a whole number, 0 or more/);
  });
});

describe('the reports of the shipped traces are those from before the cap (goldens)', () => {
  const golden = (name: string): string => readFileSync(new URL(`golden/traces/${name}`, import.meta.url), 'utf8');
  const names = readdirSync(new URL('../../events/traces/', import.meta.url)).filter((f) => f.endsWith('.txt'));

  it.each(names)('%s: text and JSON byte-identical', async (name) => {
    const base = name.replace(/\.txt$/, '');
    for (const [format, ext] of [['text', 'txt'], ['json', 'json']] as const) {
      const r = await cli('check', tracePath(name), '--quiet', '--format', format);
      expect(r.stdout.replaceAll(tracePath(name), `events/traces/${name}`)).toBe(golden(`${base}.check.${ext}`));
    }
  });

  it.each(['k612dbg-ext4-daxwork.trace.txt', 'k72dbg-ext4-daxwork.trace.txt', 'k72dbg-ext4-daxwork.tracecmd.txt', 'k72dbg-ext4-daxwork.tracecmd-t.txt'])('%s read as page_ref events only: text and JSON byte-identical', async (name) => {
    const path = join(dir, `refs-${name}`);
    writeFileSync(path, pageRefOnly(traceText(name)));
    const base = name.replace(/\.txt$/, '');
    for (const [format, ext] of [['text', 'txt'], ['json', 'json']] as const) {
      const r = await cli('check', path, '--quiet', '--format', format);
      expect(r.stdout.replaceAll(path, `refs/${name}`)).toBe(golden(`refs-${base}.check.${ext}`));
    }
    expect(existsSync(path)).toBe(true);
  });
});

describe('check --against, whose replay keeps every detail, is cut to the same cap', () => {
  const A = tracePath('k72-ext4-daxrace.trace.txt');
  const B = tracePath('k61-ext4-daxrace.trace.txt');

  it('an error finding not listed: said so, and still exit 1', async () => {
    const r = await cli('check', A, '--against', B, '--quiet', '--max-details', '0');
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')).toContain('FINDINGS: 40 observations, 40 matched, 0 unknown, 0 untraced, 0 mismatches, 1 findings');
    expect(lines(r.stdout, 'finding ')).toEqual([]);
    expect(lines(r.stdout, '… and')).toEqual(['… and 1 more finding not listed (--max-details 0)']);
    const { status, doc: d } = await doc(A, '--against', B, '--max-details', '0');
    expect(status).toBe(1);
    expect(d.notListed).toEqual({ maxDetails: 0, mismatches: 0, untraced: 0, unknowns: 0, findings: 1 });
    expect(d.findings).toEqual([]);
  });

  it('unknowns past the cap: the first ones listed, the count exact', async () => {
    const { status, doc: d } = await doc(tracePath('k612-ext4-daxshare.trace.txt'), '--against', tracePath('k72-ext4-daxshare.trace.txt'), '--max-details', '2');
    expect(status).toBe(0);
    expect(d.unknown).toBe(14);
    expect(d.unknowns).toHaveLength(2);
    expect(d.notListed).toEqual({ maxDetails: 2, mismatches: 0, untraced: 0, unknowns: 12, findings: 0 });
  });
});

describe('counts in the text report: plain digits, as in the summary line, under any locale', () => {
  it('every "… and N more" line of the underflow trace, spawned under C, de_DE, en_US and hi_IN: the same bytes', () => {
    ensureBuilt();
    const t = trace('underflow', 20_000);
    const runs = ['C', 'de_DE.UTF-8', 'en_US.UTF-8', 'hi_IN.UTF-8'].map((l) => spawnCli(['check', t.path, '--quiet', '--max-details', '10'], { env: { ...process.env, LANG: l, LC_ALL: l } }));
    const lost = t.first + 10_001;
    // 9927, not 9,927: the summary line above it has always said "9937 untraced"
    expect(lines(runs[0]!.stdout, '… and')).toEqual([
      '… and 9927 more untraced changes not listed (--max-details 10)',
      `… and 9989 more unknown count before: 3 event(s) lost from line ${lost} on: a change the trace does not hold may explain the difference`,
      `… and 9999 more unknown finding put-on-freed-page: 3 event(s) lost from line ${lost} on: a change the trace does not hold may explain the difference`,
      '… and 9991 more findings not listed (--max-details 10)',
    ]);
    expect(runs[0]!.stdout).not.toMatch(/\d,\d{3}\b/);
    for (const r of runs) expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: runs[0]!.stdout });
  });
});
