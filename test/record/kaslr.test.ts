/**
 * A recording made with KASLR (or 5-level paging) has its struct pages at another
 * vmemmap base: `dax-refsim record` writes the base it read into `# vmemmap:`, and
 * `check` reads every struct page pointer through it. The shipped nokaslr recordings,
 * moved to a KASLR base as a kernel booted without nokaslr would have printed them,
 * must get the same verdict; without the header line they must not.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDoc } from '../check/run.ts';

const NOKASLR = 0xffffea0000000000n;
/** A vmemmap_base a KASLR boot of a 5-level-paging machine gave (the 7.3 guest of issue #11). */
const KASLR = 0xffb9145040000000n;
const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-kaslr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The trace as the same kernel would have printed it at `base`: every vmemmap address
 * (probe fields, snap fetch addresses, filters) moved by the same offset. With
 * `header`, the `# vmemmap:` line the recorder writes goes after KTRACE-BEGIN.
 */
function moved(name: string, base: bigint, header: boolean): string {
  const text = readFileSync(new URL(`../../events/traces/${name}.trace.txt`, import.meta.url), 'utf8');
  let out = text.replace(/\b(0x)?(ffffea[0-9a-f]{10})\b/g, (_m, p: string | undefined, h: string) => `${p ?? ''}${(BigInt(`0x${h}`) - NOKASLR + base).toString(16)}`);
  if (header) out = out.replace(/^(KTRACE-BEGIN[^\n]*\n)/, `$1# vmemmap: base=0x${base.toString(16)} base_from=kprobe\n`);
  const path = join(dir, `${name}${header ? '' : '-noheader'}.trace.txt`);
  writeFileSync(path, out);
  return path;
}

/** The verdict: every count and every item without its line numbers (the header line moves lines by one), in fields and in reasons. */
function verdict(doc: Awaited<ReturnType<typeof checkDoc>>['doc']): unknown {
  const strip = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(strip)
    : typeof v === 'string' ? v.replace(/\bline \d+/g, 'line N')
    : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'line' && k !== 'lines').map(([k, x]) => [k, strip(x)]))
    : v;
  return strip(doc);
}

describe('check on a KASLR recording', () => {
  for (const name of ['k72-ext4-daxwork', 'k612-devdax-devdaxwork', 'k61-ext4-daxwork']) {
    it(`${name}: same verdict at vmemmap base 0x${KASLR.toString(16)} as with nokaslr`, async () => {
      const original = await checkDoc({ trace: new URL(`../../events/traces/${name}.trace.txt`, import.meta.url).pathname });
      const kaslr = await checkDoc({ trace: moved(name, KASLR, true) });
      expect(kaslr.code).toBe(original.code);
      expect(kaslr.doc.observations).toBeGreaterThan(40);
      expect(verdict(kaslr.doc)).toEqual(verdict(original.doc));
    });
  }

  it('without the # vmemmap: line the moved trace is read at the wrong pfns (the test has teeth)', async () => {
    const original = await checkDoc({ trace: new URL('../../events/traces/k72-ext4-daxwork.trace.txt', import.meta.url).pathname });
    const blind = await checkDoc({ trace: moved('k72-ext4-daxwork', KASLR, false) });
    expect(blind.doc.observations).toBeLessThan(original.doc.observations);
  });

  it('--vmemmap-base still overrides the header', async () => {
    const original = await checkDoc({ trace: new URL('../../events/traces/k72-ext4-daxwork.trace.txt', import.meta.url).pathname });
    const flagged = await checkDoc({ trace: moved('k72-ext4-daxwork', KASLR, false), 'vmemmap-base': `0x${KASLR.toString(16)}` });
    expect(verdict(flagged.doc)).toEqual(verdict(original.doc));
  });
});
