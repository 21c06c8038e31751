import { describe, expect, it } from 'vitest';
import { decodeDaxEntry, encodeDaxEntry } from '../../src/trace/xarray-entry.ts';

describe('decodeDaxEntry', () => {
  it('decodes entry=0x900a01 as pfn 0x48050 with no flags (spec §0 item 14)', () => {
    expect(decodeDaxEntry(0x900a01n)).toEqual({
      raw: 0x900a01n, pfn: 0x48050, flagBits: 0, flags: [], locked: false, pmd: false, zeroPage: false, empty: false,
    });
  });

  it('decodes the flag bits: LOCKED 1, PMD 2, ZERO_PAGE 4, EMPTY 8', () => {
    expect(decodeDaxEntry(0x11n)).toMatchObject({ pfn: 0, flags: ['EMPTY'], empty: true });
    expect(decodeDaxEntry(0x9c00dn)).toMatchObject({ pfn: 0x4e00, flags: ['PMD', 'ZERO_PAGE'], pmd: true, zeroPage: true });
    expect(decodeDaxEntry(0x90c003n)).toMatchObject({ pfn: 0x48600, flags: ['LOCKED'], locked: true });
    expect(decodeDaxEntry(0x90c01fn)).toMatchObject({ pfn: 0x48600, flagBits: 15, flags: ['LOCKED', 'PMD', 'ZERO_PAGE', 'EMPTY'] });
  });

  it('returns null for a pointer or NULL (bit 0 clear)', () => {
    expect(decodeDaxEntry(0n)).toBeNull();
    expect(decodeDaxEntry(0xffff888000e629c8n)).toBeNull();
  });

  it('round-trips with encodeDaxEntry', () => {
    expect(encodeDaxEntry(0x48050)).toBe(0x900a01n);
    expect(encodeDaxEntry(0x48600n, ['PMD', 'LOCKED'])).toBe(0x90c007n);
    expect(decodeDaxEntry(encodeDaxEntry(0x17c000, ['PMD']))).toMatchObject({ pfn: 0x17c000, flags: ['PMD'] });
  });
});
