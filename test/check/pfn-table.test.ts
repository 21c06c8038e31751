import { describe, expect, it } from 'vitest';
import { PfnTable } from '../../src/check/pfn-table.ts';

describe('PfnTable', () => {
  it('reads 0 where nothing was set, and the last value set elsewhere', () => {
    const t = new PfnTable();
    expect(t.get(0x40000)).toBe(0);
    t.set(0x40000, 17);
    t.set(0x401ff, 3); // the same 512-pfn block
    t.set(0x40200, 5); // the next block
    expect([t.get(0x40000), t.get(0x401ff), t.get(0x40200), t.get(0x40001)]).toEqual([17, 3, 5, 0]);
    t.set(0x40000, 18);
    expect(t.get(0x40000)).toBe(18);
  });

  it('counts each pfn once, however often it is set', () => {
    const t = new PfnTable();
    for (const pfn of [0x48600, 0x48600, 0x48601, 0x10000000, 0x48600]) t.set(pfn, 1);
    expect(t.size).toBe(3);
  });

  it('keeps pfns of a 1 TiB device and line numbers past 2^31 apart', () => {
    const t = new PfnTable();
    const far = 2 ** 28 + 0x40000 - 1;
    t.set(far, 2 ** 33);
    t.set(far - 512, 9);
    expect([t.get(far), t.get(far - 512), t.get(far + 1)]).toEqual([2 ** 33, 9, 0]);
  });
});
