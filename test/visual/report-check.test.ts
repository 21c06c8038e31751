/**
 * `report --html` of a recorded trace: the check's observations listed by trace line
 * with the mismatch highlighted and marked on its folio's timeline (a trace with
 * probes), and, for a page_ref-only trace, the recorded counts against the model's,
 * the listing bounded to the mismatches and unknowns with their context, and no
 * model timelines (such a trace lifts to no Ops).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process.ts';
import { traceText } from '../lift/fixtures.ts';
import { generateTrace } from '../../bench/gen-trace.ts';
import { CONTEXT, MAX_GROUPS, MAX_PAGE_POINTS, MAX_PAGES } from '../../src/visual/check-view.ts';

const dir = mkdtempSync(join(tmpdir(), 'report-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every match of a regex's first group. */
function all(text: string, re: RegExp): string[] {
  return [...text.matchAll(re)].map((m) => m[1]!);
}

/** k72-ext4-daxwork with line 175's `ref=1` (the mkwrite fault's own reference) changed to 7. */
function alteredDaxwork(out: string): string {
  const lines = traceText('k72-ext4-daxwork.trace.txt').split('\n');
  lines[174] = lines[174]!.replace('write=1 ref=1 ', 'write=1 ref=7 ');
  writeFileSync(out, lines.join('\n'));
  return out;
}

describe('report --html of a trace with probes', () => {
  it('lists every observation by line, highlights the mismatch and marks it on the folio', async () => {
    const trace = alteredDaxwork(join(dir, 'altered.trace.txt'));
    const html = join(dir, 'altered.html');
    const r = await cli('report', trace, '--html', html);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/, 26 Ops, 17 divergences, check: 483 observations, 1 mismatches, 0 findings\n$/);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('<p id="check-verdict">kernel 7.2.13+deb14-amd64, profile unified@7.2: 483 observations, 482 matched, 0 unknown, 0 untraced, 1 mismatch, 0 findings.</p>');
    expect(text).toContain('<p class="note" id="obs-note">Every observation is listed by trace line; mismatches are red, unknowns grey.</p>');
    const verdicts = all(text, /<tr class="obs [a-z]+" id="[^"]+" data-line="\d+" data-pfn="0x[0-9a-f]+" data-verdict="([a-z]+)">/g);
    expect(verdicts).toHaveLength(483);
    expect(verdicts.filter((v) => v === 'mismatch')).toHaveLength(1);
    // in trace-line order
    const lines = all(text, /<tr class="obs [a-z]+" id="[^"]+" data-line="(\d+)"/g).map(Number);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(text).toContain(
      '<tr class="obs mismatch" id="L175-0x48050-ref" data-line="175" data-pfn="0x48050" data-verdict="mismatch"><td>175</td><td>vmf_insert_page_mkwrite</td><td>0x48050</td><td>ref</td><td>7</td><td>1</td><td>mismatch</td>'
      + '<td class="src">vmf_insert_page_mkwrite: (vmf_insert_page_mkwrite+0x4/0x60) vmf=0xffffc900008d7dc8 page=0xffffea0001201400 write=1 ref=7 mapcount=-1</td></tr>',
    );
    const folio = /<section class="folio" data-head="0x48050"[\s\S]*?<\/section>/.exec(text)![0];
    expect(folio).toContain('<span class="badge mm">1 mismatch</span>');
    expect(all(folio, /<line class="mismatch"[^>]*><title>([^<]*)<\/title>/g)).toEqual(['mismatch at line 175 (vmf_insert_page_mkwrite): pfn 0x48050 ref recorded 7, simulated 1']);
    // no other folio is marked
    expect(text.match(/<line class="mismatch"/g)).toHaveLength(1);
  });

  it('a 6.1 recording is drawn under legacy@6.1, and the check\'s missed wakeup is listed at its line', async () => {
    const html = join(dir, 'k61.html');
    const r = await cli('report', 'events/traces/k61-ext4-daxrace.trace.txt', '--html', html);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/, 8 Ops, \d+ divergences, check: 43 observations, 0 mismatches, 1 findings\n$/);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('<tr><th>profiles</th><td>legacy@6.1, unified@7.2</td></tr>');
    expect(text).toContain('<tr><th>findings</th><td>legacy@6.1: 1, unified@7.2: 0</td></tr>');
    expect(text).toContain('<p id="check-verdict">kernel 6.1.0-56-amd64, profile legacy@6.1: 43 observations, 43 matched, 0 unknown, 0 untraced, 0 mismatches, 1 finding.</p>');
    expect(all(text, /<tr class="finding error" data-code="missed-wakeup"><td>(\d+)<\/td>/g)).toEqual(['175']);
  });

  it('a clean recording: every observation matched, exit 0 and no mark', async () => {
    const html = join(dir, 'clean.html');
    const r = await cli('report', 'events/traces/k72-ext4-daxwork.trace.txt', '--html', html, '--models', 'unified@7.2');
    expect(r.status).toBe(0);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('483 observations, 483 matched, 0 unknown, 0 untraced, 0 mismatches, 0 findings.');
    expect(text).not.toContain('class="obs mismatch"');
    expect(text).not.toContain('<line class="mismatch"');
  });
});

describe('report --html of a page_ref-only trace', () => {
  it('draws recorded against simulated counts, lists the mismatch with its context, and says what it left out', async () => {
    const trace = join(dir, 'pageref.trace.txt');
    await generateTrace(trace, { events: 3000, pfns: 65536, seed: 1, kernel: '7.2.13' });
    // line 17 is page 0x4a087's first event (count 0 -> 1): recorded as 2 -> 3, the
    // count before it (2) is not what memmap_init left (0)
    const lines = readFileSync(trace, 'utf8').split('\n');
    expect(lines[16]).toContain('page_ref_mod: pfn=0x4a087 flags=reserved count=1 ');
    lines[16] = lines[16]!.replace('count=1 ', 'count=3 ');
    writeFileSync(trace, lines.join('\n'));
    const html = join(dir, 'pageref.html');
    const r = await cli('report', trace, '--html', html);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/: \d+ bytes, check: 10001 observations, 1 mismatches, 24 pages drawn\n$/);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('<tr><th>observations</th><td>10001: 9001 matched, 998 unknown, 1 untraced, 1 mismatch</td></tr>');
    expect(text).toContain('no model timelines or divergences are drawn. Each event is checked against unified@7.2 instead, and 24 of its 996 pages are drawn');
    expect(text).not.toContain('<section class="folio"');
    const pages = all(text, /<section class="page" data-pfn="(0x[0-9a-f]+)">/g);
    expect(pages).toHaveLength(MAX_PAGES);
    expect(pages).toContain('0x4a087');
    const page = /<section class="page" data-pfn="0x4a087">[\s\S]*?<\/section>/.exec(text)![0];
    expect(all(page, /<circle class="pt obs-pt mismatch"[^>]*data-line="(\d+)"/g)).toEqual(['17']);
    expect(text).toContain(`The check decided 10001 observations: too many to list. Shown: the first ${MAX_GROUPS} that are not matches (mismatches, unknowns, untraced changes), each with up to ${CONTEXT} observations of the same page before and after it; the counts above are of every observation.`);
    expect(text).toContain('<tr class="obs mismatch" id="L17-0x4a087-count before" data-line="17" data-pfn="0x4a087" data-verdict="mismatch"><td>17</td><td>page_ref_mod</td><td>0x4a087</td><td>count before</td><td>2</td><td>0</td><td>mismatch</td>');
    // the listing is bounded: 200 groups of at most 1 + 2 × CONTEXT rows
    const rows = all(text, /<tr class="obs ([a-z]+)"/g);
    expect(rows.length).toBeLessThanOrEqual(MAX_GROUPS * (1 + 2 * CONTEXT));
    expect(rows.filter((v) => v === 'mismatch')).toEqual(['mismatch']);
    // few events per page: nothing sampled
    expect(text).not.toContain(`at most ${MAX_PAGE_POINTS} points`);
  });
});
