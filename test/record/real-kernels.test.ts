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
  { kernel: 'k73', bases: ['0xffa0571600000000', '0xffd4000000000000'], counts: { observations: 371, matched: 345, unknown: 26 } },
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
