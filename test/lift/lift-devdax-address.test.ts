/**
 * Device-dax faults at their real address. Excerpts of the vmtest devdax workload on
 * 6.1, 6.12 and 7.3 (test/fixtures/record/k*-devdax-{1G,2M}-mappings.trace.txt: the
 * header, then the workload from `read_fault` to `dio_read_into_devdax`), recorded by
 * `dax-refsim record`, whose dev_dax_huge_fault probe prints vmf->address:
 *
 *   read_fault              fault of mapping 1 (A1)
 *   gup_*_tail              GUP through mapping 1
 *   gup_pin_unmapped_tail   a second mmap of the same folio (A2), faulted by slow GUP
 *   munmap_second           zap_huge_pud at A2: mapping 1 stays
 *   gup_get_slow_tail       a third mmap, at A2 again; munmap_third zaps it
 *   dio_read_into_devdax    O_DIRECT into mapping 1: GUP-fast finds its PUD
 *
 * Placed at one synthetic address per folio (what a recording without the address
 * gets), the second mapping's munmap took mapping 1 with it and the O_DIRECT grab found
 * no entry: 6.12 then mismatches at the grab (try_grab_folio_fast ref recorded 3,
 * simulated 2); on 7.3 the second mapping's fault replaced the first one's entry and its
 * folio_get() and rmap went missing (try_grab_folio through mapping 2: recorded 3,
 * simulated 2). 6.1 also shows its own names: dev_dax_huge_fault(vmf, pe_size=2) and
 * vmf_insert_pfn_pud_prot(), a PUD fault.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Op } from '../../src/events/op.ts';
import { checkDoc } from '../check/run.ts';
import { liftText } from './fixtures.ts';

const fixture = (name: string): string => new URL(`../fixtures/record/${name}.trace.txt`, import.meta.url).pathname;
const GiB = 2 ** 30;

const MiB2 = 2 ** 21;

interface Case {
  readonly name: string;
  /** Mapping 1, and mappings 2 and 3 (one address). */
  readonly a1: number;
  readonly a2: number;
  readonly level: 'pud' | 'pmd';
  readonly head: number;
  readonly observations: number;
  readonly matched: number;
  /** Without the address: the mismatches, and the function of the first. */
  readonly collapsed: number;
  readonly first?: string;
}

const CASES: readonly Case[] = [
  { name: 'k61-devdax-1G-mappings', a1: 0x7faf00000000, a2: 0x7fae80000000, level: 'pud', head: 0x140000, observations: 491, matched: 491, collapsed: 0 },
  { name: 'k612-devdax-1G-mappings', a1: 0x7f4a40000000, a2: 0x7f49c0000000, level: 'pud', head: 0x140000, observations: 494, matched: 493, collapsed: 6, first: 'try_grab_folio_fast' },
  { name: 'k73-devdax-1G-mappings', a1: 0x7f3600000000, a2: 0x7f3580000000, level: 'pud', head: 0x140000, observations: 507, matched: 507, collapsed: 8, first: 'try_grab_folio' },
  // 2 MiB: write_fault_second_unit maps the second folio (0x1a0c00) at a1 + 2 MiB
  { name: 'k73-devdax-2M-mappings', a1: 0x7ff753000000, a2: 0x7ff752c00000, level: 'pmd', head: 0x1a0a00, observations: 680, matched: 680, collapsed: 8, first: 'try_grab_folio' },
];

const dir = mkdtempSync(join(tmpdir(), 'devdax-address-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The excerpt as a recording without the address: the probe definition and the field gone. */
function withoutAddress(name: string): string {
  const text = readFileSync(fixture(name), 'utf8')
    .split('\n')
    .map((l) => (/dev_dax_huge_fault/.test(l) ? l.replace(/ address=\+24\(%di\):x64/, '').replace(/ address=0x[0-9a-f]+$/, '') : l))
    .join('\n');
  const path = join(dir, `${name}-no-address.trace.txt`);
  writeFileSync(path, text);
  return path;
}

describe.each(CASES)('$name', (c) => {
  const size = c.level === 'pud' ? GiB : MiB2;

  it(`lifts the ${c.level.toUpperCase()} faults at the addresses the kernel faulted, and unmaps only the second and third mapping`, async () => {
    const t = await liftText(readFileSync(fixture(c.name), 'utf8'), c.name);
    const faults = t.ops.filter((o): o is Extract<Op, { type: 'dax.fault' }> => o.type === 'dax.fault');
    const second = c.level === 'pmd' ? [[c.a1 + MiB2, 'pmd', c.head + 512, 512]] : [];
    expect(faults.map((f) => [f.address, f.level, f.pfn, f.pgoff])).toEqual([
      [c.a1, c.level, c.head, 0],
      ...second,
      [c.a2, c.level, c.head, 0],
      [c.a2, c.level, c.head, 0],
    ]);
    const unmaps = t.ops.filter((o): o is Extract<Op, { type: 'munmap' }> => o.type === 'munmap');
    expect(unmaps.map((u) => [u.start, u.end])).toEqual([
      [c.a2, c.a2 + size],
      [c.a2, c.a2 + size],
    ]);
  });

  it(`checks clean: ${c.observations} observations, at least ${c.matched} matched, the rest unknown, no mismatch`, async () => {
    const { code, doc } = await checkDoc({ trace: fixture(c.name) });
    expect(doc.mismatches).toEqual([]);
    expect([code, doc.observations, doc.matched + doc.unknown, doc.findings.length]).toEqual([0, c.observations, c.observations, 0]);
    // (6.12's one unknown is the slow grab of gup_get_slow_tail, lifted as a GUP-fast call)
    expect(doc.matched).toBeGreaterThanOrEqual(c.matched);
  });

  it(`without the address the mappings collapse into one: ${c.collapsed} mismatch(es)`, async () => {
    const { doc } = await checkDoc({ trace: withoutAddress(c.name) });
    expect(doc.mismatches.length).toBe(c.collapsed);
    // the grab through mapping 2 (unified: its fault's reference missing) or the O_DIRECT grab through mapping 1 (legacy)
    if (c.first !== undefined) expect(doc.mismatches[0]).toMatchObject({ function: c.first, field: 'ref', recorded: 3, simulated: 2 });
  });
});

describe('k73dbg-devdax-2M-pipe (7.3 CONFIG_DEBUG_PAGE_REF, 2 MiB device-dax: the vmsplice() pipe drained)', () => {
  // :242-244 try_grab_folio_fast of tail 0x1a0bf0 (page_ref_mod_unless on the head);
  // :249 pipe_page_release names the tail, :250 page_ref_mod_and_test val=-1 the head
  const name = 'k73dbg-devdax-2M-pipe';

  it('the pipe release and the head page_ref event it causes are one put of the vmsplice()d page', async () => {
    const t = await liftText(readFileSync(fixture(name), 'utf8'), name);
    expect(t.ops.filter((o) => o.type === 'gup.get' || o.type === 'put').map((o) => [o.type, 'pfn' in o ? o.pfn : null, o.line])).toEqual([
      ['gup.get', 0x1a0bf0, 242],
      ['put', 0x1a0bf0, 249],
    ]);
  });

  it('checks with every observation matched (a second put made the head 1 where the kernel shows 2)', async () => {
    const { code, doc } = await checkDoc({ trace: fixture(name) });
    expect([code, doc.observations, doc.matched, doc.unknown, doc.untraced.length, doc.mismatches.length]).toEqual([0, 277, 277, 0, 0, 0]);
  });
});

describe('k61dbg-devdax-1G-dio (6.1 CONFIG_DEBUG_PAGE_REF, 1 GiB device-dax: O_DIRECT into and out of the mapping)', () => {
  // :352/:356 try_grab_page of tails 0x17fff4 and 0x17fff5, each a page_ref_mod +1 on the
  // head 0x140000; :359 __bio_release_pages(mark_dirty=1), :360 one page_ref_mod_and_test
  // val=-2 on the head: folio_put_refs(folio, 2) for the bio's one segment in the folio
  const name = 'k61dbg-devdax-1G-dio';

  it('the bio release is one dio.release of the two grabbed tails, put as one folio_put_refs of 2', async () => {
    const t = await liftText(readFileSync(fixture(name), 'utf8'), name);
    expect(t.ops.filter((o) => o.type === 'dio.release').map((o) => ['pfn' in o ? o.pfn : null, 'nr' in o ? o.nr : null, o.line])).toEqual([
      [0x17fff4, 2, 359],
      [0x17fff4, 2, 374],
    ]);
  });

  it('checks with every observation matched (the head\'s page_ref event named no grab: one page was put, the head stayed at 2 where the kernel shows 1)', async () => {
    const { code, doc } = await checkDoc({ trace: fixture(name) });
    expect([code, doc.observations, doc.matched, doc.unknown, doc.untraced.length, doc.mismatches.length]).toEqual([0, 1330, 1330, 0, 0, 0]);
  });
});
