/**
 * Recordings `dax-refsim-record.sh` made of the same workload (fsdax-faults on ext4
 * `dax=always`) on stock Debian kernels under QEMU, each booted twice: with KASLR and
 * with `nokaslr` (5-level paging: VMEMMAP_START 0xffd4000000000000 even then). The
 * recorder read each boot's vmemmap base and the BTF layout; `check` must give each
 * pair one verdict, and the verdict the models give today.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTraceText } from '../../src/trace/read-trace.ts';
import { checkDoc } from '../check/run.ts';

const fixture = (name: string): string => new URL(`../fixtures/record/${name}.trace.txt`, import.meta.url).pathname;

/** The verdict without line numbers (the two recordings' lines differ). */
function verdict(doc: unknown): unknown {
  const strip = (v: unknown): unknown => (Array.isArray(v) ? v.map(strip) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'line' && k !== 'lines').map(([k, x]) => [k, strip(x)])) : v);
  return strip(doc);
}

const CASES = [
  { kernel: 'k61', bases: ['0xffb2db3300000000', '0xffd4000000000000'], counts: { observations: 183, matched: 183, unknown: 0 } },
  { kernel: 'k612', bases: ['0xffc6018c40000000', '0xffd4000000000000'], counts: { observations: 183, matched: 183, unknown: 0 } },
  { kernel: 'k73', bases: ['0xffa0571600000000', '0xffd4000000000000'], counts: { observations: 380, matched: 380, unknown: 0 } }, // the MAP_SYNC faults' inserts lifted (was 345 + 26 unknown)
] as const;

describe('real recordings with and without KASLR', () => {
  for (const c of CASES) {
    it(`${c.kernel}: the KASLR boot checks like the nokaslr boot`, async () => {
      const [kaslrBase, plainBase] = c.bases;
      const kaslrText = readFileSync(fixture(`${c.kernel}-kaslr-fsdax-faults`), 'utf8');
      const plainText = readFileSync(fixture(`${c.kernel}-nokaslr-fsdax-faults`), 'utf8');
      expect(parseTraceText(kaslrText, 'k').header.vmemmap).toMatchObject({ base: BigInt(kaslrBase), baseFrom: 'kprobe', layoutFrom: 'btf', structPage: 64 });
      expect(parseTraceText(plainText, 'p').header.vmemmap).toMatchObject({ base: BigInt(plainBase), baseFrom: 'kprobe', layoutFrom: 'btf', structPage: 64 });
      const kaslr = await checkDoc({ trace: fixture(`${c.kernel}-kaslr-fsdax-faults`) });
      const plain = await checkDoc({ trace: fixture(`${c.kernel}-nokaslr-fsdax-faults`) });
      expect(kaslr.code).toBe(0);
      expect(plain.code).toBe(0);
      expect({ observations: kaslr.doc.observations, matched: kaslr.doc.matched, unknown: kaslr.doc.unknown }).toEqual(c.counts);
      expect(kaslr.doc.mismatches).toEqual([]);
      expect(verdict(kaslr.doc)).toEqual(verdict(plain.doc));
    });
  }
});

describe('a real page_ref recording', () => {
  it('6.12 with CONFIG_DEBUG_PAGE_REF=y (no BTF, no vmemmap_base symbol, 5-level paging): every page_ref change seen, nothing untraced', async () => {
    // every observation matched: the slow walk that faults its page in is lifted as slow
    // GUP (src/lift/gup-builder.ts isWalkTail), so the model's grab is try_grab_folio()
    const text = readFileSync(fixture('k612dbg-fsdax-gup'), 'utf8');
    const header = parseTraceText(text, 'k612dbg').header;
    // the recorder's documented fallbacks, written into the header
    expect(header.vmemmap).toMatchObject({ base: 0xffd4000000000000n, baseFrom: 'default', layoutFrom: 'default-6.12' });
    expect(header.filters.find((f) => f.event === 'page_ref')).toMatchObject({ scope: 'system', filter: 'pfn >= 0x40000 && pfn < 0x60000' });
    expect(text.match(/ page_ref_\w+: /g)?.length).toBe(34);
    const { code, doc } = await checkDoc({ trace: fixture('k612dbg-fsdax-gup') });
    expect(code).toBe(0);
    expect({ observations: doc.observations, matched: doc.matched, unknown: doc.unknown, untraced: doc.untraced.length, mismatches: doc.mismatches.length }).toEqual({ observations: 347, matched: 347, unknown: 0, untraced: 0, mismatches: 0 });
  });
});
