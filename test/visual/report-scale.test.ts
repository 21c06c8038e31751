/**
 * A 100,000-Op input: the report finishes, stays bounded (folios and points are
 * sampled) and says so on the page.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process.ts';
import { MAX_FOLIOS, MAX_POINTS } from '../../src/visual/html.ts';

const dir = mkdtempSync(join(tmpdir(), 'report-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report --html at 100,000 Ops', () => {
  it('samples folios and points and says so', async () => {
    const lines = ['{"schema":"dax-refsim/1","kind":"ops","profile":null}', '{"seq":1,"type":"pgmap.register","pgmap":"pmem0","pgmapType":"fsdax","pfn":262144,"nr":131072,"vmemmapShift":0}'];
    let seq = 1;
    // GUP get and put on 64 pages in turn: 99,999 Ops after the register
    for (let i = 0; seq < 100_000; i++) {
      const pfn = 0x48000 + (i % 64);
      lines.push(`{"seq":${++seq},"type":"gup.get","mm":"A","pfn":${pfn},"nr":1,"fast":false}`);
      if (seq < 100_000) lines.push(`{"seq":${++seq},"type":"put","pfn":${pfn},"nr":1}`);
    }
    const input = join(dir, 'big.jsonl');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const html = join(dir, 'big.html');
    const r = await cli('report', input, '--html', html);
    expect(r.stderr).toContain('100000 Ops');
    const text = readFileSync(html, 'utf8');
    expect((text.match(/<section class="folio"/g) ?? []).length).toBe(Math.min(MAX_FOLIOS, 64));
    expect(text).toContain(`Showing ${MAX_FOLIOS} of 64 folios`);
    expect(text).toContain(`at most ${MAX_POINTS} points per model`);
    // bounded: 24 folios × 2 models × ≤ 400 points, far below one line per Op
    expect(text.length).toBeLessThan(20_000_000);
  }, 300_000);
});
