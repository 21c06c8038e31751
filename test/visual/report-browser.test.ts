/**
 * The HTML report in a real browser: playwright-core drives Debian's chromium
 * (`.ci/run` installs it when missing), headless, with a fresh profile. It opens the
 * S4 report, finds the PMD folio's timeline in both models and the divergence rows,
 * clicks a point, reads its holders, and checks the screenshot is not blank.
 * REPORT_SCREENSHOTS=<dir> keeps the screenshots there, for a person to look at.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Locator } from 'playwright-core';
import { cli } from '../cli/in-process.ts';
import { traceText } from '../lift/fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
let browser: BrowserContext;

/** How many colours a PNG shows (sampled on a canvas in the page: the test's TypeScript has no DOM types). */
async function colours(page: import('playwright-core').Page, png: string): Promise<number> {
  return page.evaluate<number>(`(async () => {
    const img = new Image();
    img.src = 'data:image/png;base64,${readFileSync(png).toString('base64')}';
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < px.length; i += 4 * 97) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    return seen.size;
  })()`);
}

/** Keeps a screenshot in $REPORT_SCREENSHOTS when set (the scratch dir is removed). */
function keep(png: string): void {
  const to = process.env['REPORT_SCREENSHOTS'];
  if (!to) return;
  mkdirSync(to, { recursive: true });
  copyFileSync(png, join(to, png.slice(png.lastIndexOf('/') + 1)));
}

/** An element's computed background colour (run in the page). */
const background = (e: unknown): string => (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor;

/** An attribute of every element a locator matches, in document order. */
async function attrs(loc: Locator, name: string): Promise<(string | null)[]> {
  return Promise.all((await loc.all()).map((e) => e.getAttribute(name)));
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('report --html in chromium', () => {
  it('shows the S4 PMD folio in both models, the divergence rows, and the holders of a clicked point', async () => {
    const html = join(dir, 's4.html');
    const r = await cli('report', 'replays/s4-pmd-split-pte-refault', '--html', html);
    expect(r.status).toBe(1);
    const text = readFileSync(html, 'utf8');
    // self-contained: nothing is fetched
    expect(text).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (q) => void requests.push(q.url()));
    await page.goto(`file://${html}`);
    const pmd = page.locator('section.folio[data-head="0x48400"]');
    await expect.poll(() => pmd.count()).toBe(1);
    expect(await attrs(pmd.locator('path.refcount'), 'data-model')).toEqual(['legacy@6.14', 'unified@7.2']);
    expect(await pmd.locator('line.div').count()).toBeGreaterThan(0);
    const rows = page.locator('#divergences tr.div-row[data-head="0x48400"]');
    expect(await attrs(rows, 'data-class')).toEqual(['baseline', 'map-reference', 'folio-shape']);
    // one explanation per class
    expect(await page.locator('#divergences tr.explain').count()).toBe(3);
    // click the unified point after the PMD fault (#2): the PMD mapping holds the reference
    await pmd.locator('circle.pt[data-model="unified@7.2"][data-seq="2"]').click();
    const holders = await page.locator('#holders').textContent();
    expect(holders).toContain('unified@7.2 after #2: _refcount 1, mapcount 1, pins 0');
    expect(holders).toContain('map refs 1 dax.fault #2 mm A addr 0x7f0000000000 pmd');
    // the legacy page at the head idles at 1: the idle reference of the fsdax pgmap
    await pmd.locator('circle.pt[data-model="legacy@6.14"]').first().click();
    expect(await page.locator('#holders').textContent()).toContain('idle refs 1 memmap_init (fsdax) of pmem0');
    // the models shape the range differently, and each timeline says what it draws:
    // legacy's get lands on its own order-0 folio 0x48402, unified's on the PMD folio
    expect(await pmd.locator('p.shape').allTextContents()).toEqual([
      'legacy@6.14: order-0 folios in 0x48400–0x485ff; drawn: the one at 0x48400 (the other pages whose counts changed have their own timelines).',
    ]);
    const sub = page.locator('section.folio[data-head="0x48402"]');
    expect(await sub.locator('p.shape').allTextContents()).toEqual([
      'unified@7.2: 0x48402 was a page of the order-9 folio 0x48400–0x485ff, whose _refcount counted its references (see folio 0x48400); drawn only where it is a folio of its own.',
    ]);
    expect(await attrs(sub.locator('path.refcount'), 'data-model')).toEqual(['legacy@6.14']);
    expect(await sub.locator('circle.pt[data-model="unified@7.2"]').count()).toBe(0);
    // the GUP get (#7) on the PMD folio: three PTE mappings and the get hold it
    await pmd.locator('circle.pt[data-model="unified@7.2"][data-seq="7"]').click();
    expect((await page.locator('#holders').textContent())!.split('\n')).toEqual([
      'folio 0x48400 3 divergences — unified@7.2 after #7: _refcount 4, mapcount 3, pins 0',
      'map refs 1 dax.fault #4 mm A addr 0x7f0000001000 pte',
      'map refs 1 dax.fault #5 mm A addr 0x7f0000002000 pte',
      'map refs 1 dax.fault #6 mm A addr 0x7f0000003000 pte',
      'gup refs 1 gup.get #7 task A fast',
    ]);
    const png = join(dir, 's4.png');
    await page.screenshot({ path: png, fullPage: true });
    keep(png);
    // not blank: the screenshot, drawn on a canvas, has many colours
    expect(await colours(page, png)).toBeGreaterThan(20);
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows a check\'s observations with the mismatch highlighted at its trace line', async () => {
    // k72-ext4-daxwork with line 175's ref=1 (the mkwrite fault's own reference) changed to 7
    const lines = traceText('k72-ext4-daxwork.trace.txt').split('\n');
    lines[174] = lines[174]!.replace('write=1 ref=1 ', 'write=1 ref=7 ');
    const trace = join(dir, 'altered.trace.txt');
    writeFileSync(trace, lines.join('\n'));
    const html = join(dir, 'altered.html');
    expect((await cli('report', trace, '--html', html)).status).toBe(1);
    const page = await browser.newPage();
    await page.goto(`file://${html}`);
    const rows = page.locator('#observations tr.obs');
    expect(await rows.count()).toBe(483);
    const bad = page.locator('#observations tr.obs.mismatch');
    expect(await attrs(bad, 'data-line')).toEqual(['175']);
    expect(await bad.locator('td').allTextContents()).toEqual([
      '175', 'vmf_insert_page_mkwrite', '0x48050', 'ref', '7', '1', 'mismatch',
      'vmf_insert_page_mkwrite: (vmf_insert_page_mkwrite+0x4/0x60) vmf=0xffffc900008d7dc8 page=0xffffea0001201400 write=1 ref=7 mapcount=-1',
    ]);
    // highlighted: the row's cells are drawn on red, a matched row's are not
    expect(await bad.locator('td').first().evaluate(background)).toBe('rgb(248, 200, 200)');
    expect(await page.locator('#observations tr.obs.match').first().locator('td').first().evaluate(background)).toBe('rgba(0, 0, 0, 0)');
    // and marked on the timeline of the folio holding the page
    const folio = page.locator('section.folio[data-head="0x48050"]');
    expect(await folio.locator('line.mismatch title').textContent()).toBe('mismatch at line 175 (vmf_insert_page_mkwrite): pfn 0x48050 ref recorded 7, simulated 1');
    expect(await folio.locator('h3 .badge.mm').textContent()).toBe('1 mismatch');
    await bad.scrollIntoViewIfNeeded();
    const png = join(dir, 'observations.png');
    await page.screenshot({ path: png });
    keep(png);
    expect(await colours(page, png)).toBeGreaterThan(10);
    await page.close();
  }, 120_000);
});
