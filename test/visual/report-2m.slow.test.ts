/**
 * `report --html` on the benchmark's 2,000,000-event input (bench/gen-trace.ts: a
 * page_ref-only recording of 65,536 pages): the report streams the trace (it is never
 * read whole: a whole read of the 300 MB text, lifted, took over 2 GB), finishes
 * within its timeout with a bounded peak RSS, says what it sampled, and the page loads
 * in chromium within its own timeout. Slow: the `slow` vitest project.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { generateTrace } from '../../bench/gen-trace.ts';
import { bin, ensureBuilt, scratch } from '../robust/helpers.ts';
import { MAX_GROUPS, MAX_PAGE_POINTS, MAX_PAGES } from '../../src/visual/check-view.ts';

const EVENTS = 2_000_000;
/** The report's own timeout (about 70 s of CPU alone; a loaded 2-core machine takes longer). */
const REPORT_MS = 900_000;
/** The page's load timeout. */
const LOAD_MS = 60_000;

/** The child: runs the CLI in-process, prints its exit code, stderr and peak RSS (KiB). */
const CHILD = `
const { run } = await import(process.argv[2]);
let err = '';
const code = await run(process.argv.slice(3), { stdout: () => undefined, stderr: (t) => void (err += t) });
process.stdout.write(JSON.stringify({ code, stderr: err, maxRssKiB: process.resourceUsage().maxRSS }));
`;

const dir = scratch('dax-refsim-report-2m-');
const trace = join(dir, 'bench-2m.trace.txt');
const html = join(dir, 'bench-2m.html');
beforeAll(async () => {
  ensureBuilt();
  await generateTrace(trace, { events: EVENTS, pfns: 65536, seed: 1, kernel: '7.2.13' });
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report --html on the 2,000,000-event benchmark trace', () => {
  it('finishes in bounded memory, says what it sampled, and loads in chromium', async () => {
    expect(statSync(trace).size).toBeGreaterThan(250 * 2 ** 20);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, 'report-child', bin, 'report', trace, '--html', html], { encoding: 'utf8', timeout: REPORT_MS, maxBuffer: 1 << 24 });
    expect(r.error).toBeUndefined();
    const { code, stderr, maxRssKiB } = JSON.parse(r.stdout) as { code: number; stderr: string; maxRssKiB: number };
    expect(code).toBe(0);
    expect(stderr).toMatch(/: \d+ bytes, check: 7005569 observations, 0 mismatches, 24 pages drawn\n$/);
    expect(maxRssKiB * 1024).toBeLessThan(2 ** 30);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('<tr><th>observations</th><td>7005569: 6701572 matched, 303997 unknown, 0 untraced, 0 mismatches</td></tr>');
    expect(text).toContain(`The check decided 7005569 observations: too many to list. Shown: the first ${MAX_GROUPS} that are not matches`);
    // bounded: a few MB, not one row per event
    expect(text.length).toBeLessThan(8 * 2 ** 20);

    expect(existsSync('/usr/bin/chromium')).toBe(true);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium', headless: true, timeout: LOAD_MS,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${html}`, { timeout: LOAD_MS });
      expect(await page.locator('section.page').count()).toBe(MAX_PAGES);
      expect(await page.locator('#observations tr.obs').count()).toBeGreaterThan(MAX_GROUPS);
      expect(await page.locator('#no-ops').textContent()).toContain(`${MAX_PAGES} of its 65536 pages are drawn`);
      // no page holds more points than the bound, plus its non-matches
      for (const s of await page.locator('section.page').all()) expect(await s.locator('circle.match').count()).toBeLessThanOrEqual(MAX_PAGE_POINTS);
    } finally {
      await browser.close();
    }
  }, REPORT_MS + 2 * LOAD_MS);
});
