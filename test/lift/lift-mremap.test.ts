/**
 * mremap() lifted from its syscall probes. A whole vmtest recording of the fsdax-vma
 * workload on the stock 7.3 kernel, ext4 (test/fixtures/record/k73-ext4-fsdax-vma.trace.txt),
 * by the recorder that probes __x64_sys_mremap (addr, old_len, new_len, flags, new_addr;
 * the new address at return) and gives folio_remove_rmap_ptes() its VMA's bounds:
 *
 *   :695  mremap_move_pmd       a mapped PMD moved 2 MiB down (move_huge_pmd())
 *   :705  mremap_move_pte       64 KiB of PTEs moved (move_ptes())
 *   :725  mremap_grow_in_place  2 MiB → 4 MiB, not moved (vma_expand())
 *   :741  mremap_grow_move      4 MiB → 6 MiB, both PMDs moved
 *   :762, :778, :786            munmap() of the grown, the moved PMD and the moved PTEs
 *
 * No count changes at a move, so no page probe fires there: without the mremap events the
 * lifter kept the entries at the old addresses and the moved folios were never freed in
 * the model (the wakes of munmap_grown: v52 recorded 0, simulated 1). Without the VMA of
 * the PTE rmap removal, munmap(private PTE mapping) at :568 took the shared mapping's
 * entry of the same file page (one mm maps 0x48051 twice), and the stale private entry was
 * later moved and zapped.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Op } from '../../src/events/op.ts';
import { checkDoc } from '../check/run.ts';
import { liftText } from './fixtures.ts';

const NAME = 'k73-ext4-fsdax-vma';
const fixture = new URL(`../fixtures/record/${NAME}.trace.txt`, import.meta.url).pathname;
const text = readFileSync(fixture, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'lift-mremap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function variant(name: string, edit: (lines: string[]) => string[]): string {
  const path = join(dir, `${name}.trace.txt`);
  writeFileSync(path, edit(text.split('\n')).join('\n'));
  return path;
}

const MiB = 2 ** 20;

describe('7.3 ext4 fsdax-vma: mremap() from the syscall probes', () => {
  it('lifts the four calls to mremap Ops with the old and new ranges the syscall gave', async () => {
    const t = await liftText(text, NAME);
    const remaps = t.ops.filter((o): o is Extract<Op, { type: 'mremap' }> => o.type === 'mremap');
    expect(remaps.map((o) => [o.line, o.start, o.end, o.newStart, o.newEnd])).toEqual([
      [695, 0x7fced1e00000, 0x7fced1e00000 + 2 * MiB, 0x7fced1a00000, 0x7fced1a00000 + 2 * MiB],
      [705, 0x7fced2200000, 0x7fced2210000, 0x7fced2000000, 0x7fced2010000],
      [725, 0x7fced1400000, 0x7fced1400000 + 2 * MiB, 0x7fced1400000, 0x7fced1400000 + 4 * MiB],
      [741, 0x7fced1400000, 0x7fced1400000 + 4 * MiB, 0x7fced0c00000, 0x7fced0c00000 + 6 * MiB],
    ]);
  });

  it('places the later munmaps at the new addresses, and the private PTE munmap in its own VMA', async () => {
    const t = await liftText(text, NAME);
    const unmaps = t.ops.filter((o): o is Extract<Op, { type: 'munmap' }> => o.type === 'munmap' && (o.line === 568 || ((o.line ?? 0) >= 762 && (o.line ?? 0) <= 786)));
    expect(unmaps.map((o) => [o.line, o.start, o.end])).toEqual([
      // pvp + 4 KiB: file page 1 (0x48051) of the private mapping, not of the shared one
      [568, 0x7fced1401000, 0x7fced1402000],
      [762, 0x7fced0c00000, 0x7fced0c00000 + 6 * MiB],
      [778, 0x7fced1a00000, 0x7fced1a00000 + 2 * MiB],
      [786, 0x7fced2000000, 0x7fced200a000],
    ]);
  });

  it('checks with no mismatch: 4369 observations, 4361 matched, 8 unknown', async () => {
    const { code, doc } = await checkDoc({ trace: fixture });
    expect(doc.mismatches).toEqual([]);
    expect([code, doc.observations, doc.matched, doc.unknown, doc.untraced.length, doc.findings.length]).toEqual([0, 4369, 4361, 8, 0, 0]);
  });

  it('without the mremap events the moved PMDs are never freed in the model (munmap_grown :761, :763)', async () => {
    const path = variant('no-mremap', (ls) => ls.filter((l) => !/: mremap(_ret)?: \(/.test(l)));
    const { code, doc } = await checkDoc({ trace: path });
    expect(code).toBe(1);
    expect(doc.mismatches.map((m) => [m.line, m.function, m.field, m.recorded, m.simulated])).toEqual([
      [761, 'wake_up_var', 'v52', 0, 1],
      [763, 'wake_up_var', 'v52', 0, 1],
    ]);
  });

  it('without the VMA of a PTE rmap removal, munmap(private) takes the shared entry of the same page', async () => {
    const path = variant('no-vma', (ls) => ls.map((l) => l.replace(/ vm_start=\+0\(%cx\):x64 vm_end=\+8\(%cx\):x64/, '').replace(/ vm_start=0x[0-9a-f]+ vm_end=0x[0-9a-f]+$/, '')));
    const { code, doc } = await checkDoc({ trace: path });
    expect(code).toBe(1);
    expect(doc.mismatches.map((m) => [m.line, m.function, m.field, m.recorded, m.simulated])).toEqual([
      [771, 'wake_up_var', 'v52', 0, 1],
      [773, 'wake_up_var', 'v52', 0, 1],
      [774, 'ksys_write', 'r_48051', 1, 0],
      [774, 'ksys_write', 'm_48051', 0, -1],
      [794, 'wake_up_var', 'v52', 0, 1],
    ]);
  });
});

describe('7.3 devdax-1G: mremap() of a device-dax PUD (test/fixtures/record/k73-devdax-1G-mremap.trace.txt)', () => {
  // :517 mremap_move of the 1 GiB mapping; get_old_pud() clears the leaf PUD as a bad
  // table (the console: "bad pud … (80000001400008e7)", "Bad rss-counter state"), so the
  // access at :523 faults afresh and inserts beside the leaked mapping: :529 refcount 3,
  // entire mapcount 1. Moving the PUD instead simulated refcount 2, entire mapcount 0.
  const path = new URL('../fixtures/record/k73-devdax-1G-mremap.trace.txt', import.meta.url).pathname;

  it('checks with every observation matched and the kernel\'s bad-PUD clear as a finding', async () => {
    const { code, doc } = await checkDoc({ trace: path });
    expect(doc.mismatches).toEqual([]);
    expect([code, doc.observations, doc.matched, doc.unknown]).toEqual([0, 1357, 1357, 0]);
    expect(doc.findings.map((f) => [f.code, f.pfn, f.function])).toEqual([['pud-clear-bad', '0x140000', 'pud_clear_bad']]);
  });
});
