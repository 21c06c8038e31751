/**
 * Issue #12: the inputs a kernel developer most often has. Every shipped page_ref
 * recording is cut down, by the functions of test/fixtures/trace-variants.ts, to what a
 * user's own trace would hold: no kit probes (`trace-cmd record -e page_ref`, with or
 * without fs_dax and markers), no kit header (`cat trace`, `trace-cmd report`), or
 * both. Each variant checks with no mismatch and no finding, says what it assumed, and
 * the counts are exact: a change in them is a change in what the check compares.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tracePath, traceText } from '../lift/fixtures.ts';
import { pageRefOnly, probesOf, withoutHeader, withoutProbes } from '../fixtures/trace-variants.ts';
import { check, checkDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-honest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a variant and returns its path. */
function variant(name: string, kind: string, make: (t: string) => string): string {
  const path = join(dir, `${name}.${kind}`);
  writeFileSync(path, make(traceText(name)));
  return path;
}

const NO_PROBES = 'no probe definitions (no # kprobe_events: header, no --probes): every page_ref event is checked as a RefEvent, other events are not lifted';
const ORDER9 = 'compound FS DAX folios are order 9 (page_ref prints the head flag, not the order; dax_folio_init() makes a folio per PMD entry)';
const UNIFIED_PICK = (line: number): string =>
  `profile unified@7.2 (the newest unified profile, for kernels 7.1 and later) chosen from the evidence, the trace naming no kernel: line ${line}: pfn 0x48600 is at count 0 before its first event (unified idles an FS DAX folio at 0; a legacy DAX page rests at 1 and never reaches 0 while its pgmap lives); give --kernel for the exact one`;
const SECTION_9 = (why: string): string => `pfns 0x48000-0x4ffff (section 0x9): a fsdax pgmap inferred from the pfns seen (no # pmem: header and no --pmem), ${why}`;
const UNIFIED_FSDAX = 'type from its first count 0 (the unified FS DAX idle)';
const LEGACY_FSDAX = 'type assumed fsdax (legacy idles FS DAX and device-dax alike, or the first count 1 is neither idle)';
/** No `# kconfig:` line: the distribution config the profile took, named (CONFIG_PAGE_MAPCOUNT on 6.15+ kernels only, the ones with the option). */
const KCONFIG_7 = "no # kconfig: header and no --kconfig: a distribution kernel's config assumed (CONFIG_TRANSPARENT_HUGEPAGE=y CONFIG_FS_DAX_PMD=y CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y CONFIG_PAGE_MAPCOUNT=y); give --kconfig with the recording kernel's .config";
const KCONFIG_6 = "no # kconfig: header and no --kconfig: a distribution kernel's config assumed (CONFIG_TRANSPARENT_HUGEPAGE=y CONFIG_FS_DAX_PMD=y CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y); give --kconfig with the recording kernel's .config";

/** The 7.2 recording in three renderings: raw tracefs, trace-cmd report, trace-cmd report -t. */
const K72 = ['k72dbg-ext4-daxwork.trace.txt', 'k72dbg-ext4-daxwork.tracecmd.txt', 'k72dbg-ext4-daxwork.tracecmd-t.txt'] as const;

describe('page_ref-only traces (issue #12 item 1): every page_ref event is a RefEvent, checked as recorded', () => {
  // 49 events: count before and after each (98), ret of the 25 of the mod_and_test class, mapcount of each (49)
  it.each(K72)('%s without its probes: 172 observations, 0 mismatches, 0 findings; the rmap changes unknown', async (name) => {
    for (const [kind, make] of [['noprobes', withoutProbes], ['pageref', pageRefOnly]] as const) {
      const { code, doc } = await checkDoc({ trace: variant(name, kind, make) });
      expect(code).toBe(0);
      expect(doc).toMatchObject({ kernel: '7.2.13', profile: 'unified@7.2', mode: 'refs', observations: 172, matched: 158, unknown: 14, untraced: [], mismatches: [], findings: [], warnings: [] });
      // the head flag of 0x48600 and 0x48400 made order-9 folios: the order is the one assumption about the memory
      expect(doc.assumptions).toEqual([NO_PROBES, ORDER9]);
      // every unknown is a mapcount an rmap changed between two page_ref events of the page
      expect(new Set(doc.unknowns?.map((u) => `${u.field}: ${u.reason}`))).toEqual(new Set(['mapcount: an rmap change (folio_add_file_rmap_*() / folio_remove_rmap_*()) is no page_ref event: the trace cannot show when it happened']));
    }
  });
  it('k612dbg-ext4-daxwork without its probes: 50 observations, all matched under legacy@6.12 (mapcount stays -1: no rmap)', async () => {
    for (const [kind, make] of [['noprobes', withoutProbes], ['pageref', pageRefOnly]] as const) {
      const { code, doc } = await checkDoc({ trace: variant('k612dbg-ext4-daxwork.trace.txt', kind, make) });
      expect(code).toBe(0);
      expect(doc).toMatchObject({ profile: 'legacy@6.12', mode: 'refs', observations: 50, matched: 50, unknown: 0, untraced: [], mismatches: [], findings: [] });
      expect(doc.assumptions).toEqual([NO_PROBES]);
    }
  });
  it('the unpin of the O_DIRECT pin (val=-1024 on an order-0 page) is one page\'s pin bias, not 1024 pages', async () => {
    const path = variant('k72dbg-ext4-daxwork.trace.txt', 'pageref', pageRefOnly);
    expect(readFileSync(path, 'utf8')).toMatch(/page_ref_mod_and_test: pfn=0x48050 .* val=-1024 ret=0/);
    const { doc } = await checkDoc({ trace: path });
    expect(doc.findings).toEqual([]);
    expect(doc.mismatches).toEqual([]);
  });
  it('counts what it skipped: the fs_dax and marker lines of a kprobe-less trace, left unread by the byte scanner', async () => {
    const { doc } = await checkDoc({ trace: variant('k72dbg-ext4-daxwork.trace.txt', 'noprobes', withoutProbes) });
    // 30 fs_dax events and 19 markers after the header
    expect(doc.skipped).toEqual([{ event: 'other lines, not read (no page_ref event)', count: 49 }]);
  });
});

describe('header-less traces (issue #12 item 2): every inference is an assumption', () => {
  it.each(K72)('%s as cat trace / trace-cmd report: the profile from the evidence, the pgmap from the pfns seen', async (name) => {
    for (const [kind, make] of [['nohdr', withoutHeader], ['pageref-nohdr', (t: string) => withoutHeader(pageRefOnly(t))]] as const) {
      const { code, doc } = await checkDoc({ trace: variant(name, kind, make) });
      expect(code).toBe(0);
      expect(doc).toMatchObject({ kernel: 'unknown', profile: 'unified@7.2', mode: 'refs', observations: 172, matched: 158, unknown: 14, untraced: [], mismatches: [], findings: [] });
      const first = doc.evidence?.[0]?.line ?? 0;
      // trace-cmd prints flags in hex: without a kernel, its page flag layout (the head bit) is unknown
      const order = name.endsWith('.trace.txt') ? [ORDER9] : [];
      expect(doc.assumptions).toEqual([NO_PROBES, UNIFIED_PICK(first), KCONFIG_7, SECTION_9(UNIFIED_FSDAX), ...order]);
    }
  });
  it('a 6.15 or 6.16 kernel has CONFIG_PAGE_MAPCOUNT, and the assumed config names it; 6.14 has no such option', async () => {
    const path = variant('k72dbg-ext4-daxwork.trace.txt', 'pageref-nohdr', (t) => withoutHeader(pageRefOnly(t)));
    for (const kernel of ['6.15', '6.16']) expect((await checkDoc({ trace: path, kernel })).doc.assumptions).toContain(KCONFIG_7);
    const legacy = (await checkDoc({ trace: path, kernel: '6.14' })).doc.assumptions;
    expect(legacy).toContain(KCONFIG_6);
    expect(legacy).not.toContain(KCONFIG_7);
  });
  it('the text report says the verdict rests on its assumptions', async () => {
    const r = await check({ trace: variant('k72dbg-ext4-daxwork.trace.txt', 'pageref-nohdr', (t) => withoutHeader(pageRefOnly(t))) });
    expect(r.stdout).toContain('ok (assuming the 5 assumption(s) below): 172 observations, 158 matched, 14 unknown, 0 untraced, 0 mismatches, 0 findings');
    expect(r.stdout).toContain(`assumption: ${SECTION_9(UNIFIED_FSDAX)}`);
    // the recording kernel had CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=n: the header said so, the cut trace cannot
    expect(r.stdout).toContain(`assumption: ${KCONFIG_7}\n`);
  });
  it('k612dbg without a header: the devmap put hook\'s page_ref_mod_and_return says legacy (6.12 rests at 1 like unified device-dax)', async () => {
    const path = variant('k612dbg-ext4-daxwork.trace.txt', 'pageref-nohdr', (t) => withoutHeader(pageRefOnly(t)));
    const { code, doc } = await checkDoc({ trace: path });
    expect(code).toBe(0);
    expect(doc).toMatchObject({ kernel: 'unknown', profile: 'legacy@6.14', observations: 50, matched: 50, mismatches: [], findings: [] });
    expect(doc.assumptions).toEqual([
      NO_PROBES,
      'profile legacy@6.14 (the newest legacy profile, for kernels 6.10–6.14) chosen from the evidence, the trace naming no kernel: line 15: pfn 0x48050 dropped 1024 reference(s) by page_ref_mod_and_return (folio_ref_sub_return() of the devmap put hook __put_devmap_managed_*_refs(), legacy only; unified kernels put a DAX folio with folio_put_refs(), page_ref_mod_and_test); give --kernel for the exact one',
      KCONFIG_6,
      SECTION_9(LEGACY_FSDAX),
    ]);
    const exact = await checkDoc({ trace: path, kernel: '6.12' });
    expect(exact.code).toBe(0);
    expect(exact.doc).toMatchObject({ profile: 'legacy@6.12', observations: 50, matched: 50, mismatches: [], findings: [], warnings: [] });
    expect(exact.doc.assumptions).toEqual([NO_PROBES, KCONFIG_6, SECTION_9(LEGACY_FSDAX)]);
  });
  it('k612dbg without a header or its puts: nothing tells the models apart, and the message names what was looked for (exit 2)', async () => {
    const path = variant('k612dbg-ext4-daxwork.trace.txt', 'pageref-nohdr-noput', (t) => withoutHeader(pageRefOnly(t)).split('\n').filter((l) => !l.includes('page_ref_mod_and_return')).join('\n'));
    await expect(check({ trace: path })).rejects.toThrow(
      'the trace names no kernel (no KTRACE-BEGIN kernel=) and shows nothing only one model does (looked for: a page at count 0 before its first event or a mapcount of an rmapped page, unified; a put through page_ref_mod_and_return or the devmap hook probe, legacy; a resting snap or --pmem make the idle count 1 of an FS DAX page count too): give --kernel or --model',
    );
  });
  it('a header-less page_ref trace with no page_ref event says there is nothing to compare, and what would give it (exit 2)', async () => {
    // a legacy FS DAX fault changes no refcount: such a trace of faults alone has no page_ref event
    const path = variant('k612dbg-ext4-daxwork.trace.txt', 'nohdr-norefs', (t) => withoutHeader(t).split('\n').filter((l) => !l.includes(' page_ref_')).join('\n'));
    await expect(check({ trace: path })).rejects.toThrow(
      'the trace names no kernel (no KTRACE-BEGIN kernel=) and has no page_ref event and no probe definitions, so nothing in it tells the models apart or can be compared (give --kernel and --probes with the kprobe_events it was recorded with, or record page_ref events on a CONFIG_DEBUG_PAGE_REF kernel)',
    );
  });
  it('--pmem START-END:fsdax gives the pgmap: no inference, and legacy\'s idle count becomes evidence of the model', async () => {
    const path = variant('k612dbg-ext4-daxwork.trace.txt', 'pageref-nohdr', (t) => withoutHeader(pageRefOnly(t)));
    const { code, doc } = await checkDoc({ trace: path, pmem: ['40000000-5fffffff:fsdax'] });
    expect(code).toBe(0);
    expect(doc).toMatchObject({ profile: 'legacy@6.14', observations: 50, matched: 50, mismatches: [], findings: [] });
    expect(doc.assumptions).toEqual([
      NO_PROBES,
      'profile legacy@6.14 (the newest legacy profile, for kernels 6.10–6.14) chosen from the evidence, the trace naming no kernel: line 13: fsdax pfn 0x48050 is at count 1 before its first event (legacy idles an FS DAX page at 1; unified at 0); give --kernel for the exact one',
      KCONFIG_6,
    ]);
  });
  it('--probes FILE gives the probe definitions the header would: the Ops are lifted again', async () => {
    const probes = join(dir, 'k72.kprobe_events');
    writeFileSync(probes, probesOf(traceText('k72dbg-ext4-daxwork.trace.txt')));
    const path = variant('k72dbg-ext4-daxwork.trace.txt', 'nohdr', withoutHeader);
    const { code, doc } = await checkDoc({ trace: path, probes, kernel: '7.2.13', pmem: ['40000000-5fffffff:fsdax'] });
    expect(code).toBe(0);
    expect(doc).toMatchObject({ profile: 'unified@7.2', mode: 'ops', mismatches: [], findings: [], untraced: [] });
    const full = (await checkDoc({ trace: tracePath('k72dbg-ext4-daxwork.trace.txt') })).doc;
    expect(doc.observations).toBe(full.observations);
    expect(doc.matched).toBe(full.matched);
  });
  it('--kconfig names the config: no kconfig assumption, and the recorded HVO=n is what the report prints', async () => {
    const path = variant('k72dbg-ext4-daxwork.trace.txt', 'pageref-nohdr', (t) => withoutHeader(pageRefOnly(t)));
    const r = await check({ trace: path, kconfig: 'CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=n' });
    expect(r.stdout).not.toContain('no # kconfig: header');
    expect(r.stdout).toContain('kconfig: CONFIG_TRANSPARENT_HUGEPAGE=y CONFIG_FS_DAX_PMD=y CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=n CONFIG_PAGE_MAPCOUNT=y\n');
    // a header with its # kconfig: line is no assumption either
    const { doc } = await checkDoc({ trace: variant('k72dbg-ext4-daxwork.trace.txt', 'pageref', pageRefOnly) });
    expect(doc.assumptions).toEqual([NO_PROBES, ORDER9]);
  });
  it('a check that compared nothing says so and exits 2', async () => {
    // a stock trace's kprobe events without their definitions: nothing the check can read
    const r = await check({ trace: variant('k72-ext4-daxwork.trace.txt', 'nohdr', withoutHeader), kernel: '7.2' });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('nothing compared (assuming the 2 assumption(s) below): 0 observations');
  });
});

describe('which model recorded it (issue #12 item 3)', () => {
  it('check --kernel 6.12 on the 7.2 page_ref trace warns that the evidence says unified, naming it', async () => {
    const r = await check({ trace: variant('k72dbg-ext4-daxwork.trace.txt', 'pageref', pageRefOnly), kernel: '6.12' });
    expect(r.code).toBe(1);
    const warning =
      'the trace shows a unified kernel, not legacy@6.12 as --kernel 6.12 says: ' +
      'line 71: pfn 0x48600 is at count 0 before its first event (unified idles an FS DAX folio at 0; a legacy DAX page rests at 1 and never reaches 0 while its pgmap lives); ' +
      'line 71: fsdax pfn 0x48600 has the head flag (only unified dax_folio_init() makes an FS DAX folio compound; legacy FS DAX pages are order 0); ' +
      'line 79: pfn 0x48050 has mapcount=0: it is rmapped (unified maps DAX folios with folio_add_file_rmap_*(); legacy DAX mappings take no mapcount)';
    expect(r.stdout).toContain(`warning: ${warning}`);
    expect(r.stderr).toContain(`dax-refsim: warning: ${warning}`);
  });
  it('the full 6.12 recording under --kernel 7.2: the resting snap and the devmap hook say legacy', async () => {
    const { doc } = await checkDoc({ trace: tracePath('k612-ext4-daxwork.trace.txt'), kernel: '7.2' });
    expect(doc.warnings).toEqual([
      'the trace shows a legacy kernel, not unified@7.2 as --kernel 7.2 says: line 132: fsdax pfn 0x48400 rests at refcount 1 in the first snap (legacy idle; unified rests at 0); line 196: __put_devmap_managed_folio_refs() ran (the devmap put hook exists only in legacy kernels)',
    ]);
  });
  it('no warning when the header and the evidence agree', async () => {
    for (const name of ['k612dbg-ext4-daxwork.trace.txt', 'k72dbg-ext4-daxwork.trace.txt', 'k61-ext4-daxwork.trace.txt', 'k72-devdax-devdaxwork.trace.txt']) {
      const { doc } = await checkDoc({ trace: tracePath(name) });
      expect(doc.warnings).toEqual([]);
    }
  });
});
