/**
 * dax-refsim-record.sh against fake machines (no kernel): the header it writes, the
 * probe set it picks for each kernel family, the struct page layout it reads from BTF,
 * and the tracefs settings it leaves behind after a normal exit, a failing command and
 * SIGINT/SIGTERM.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTraceText } from '../../src/trace/read-trace.ts';
import { fakeBtf, LAYOUT_72, type FakeLayout } from './btf.ts';
import { functionsOf, makeTree, runRecorder, settings, startRecorder, type FakeKernel, type FakeTree } from './fixture.ts';

const CONFIG_72 = 'CONFIG_TRANSPARENT_HUGEPAGE=y\nCONFIG_FS_DAX_PMD=y\nCONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y\nCONFIG_PAGE_MAPCOUNT=y\n# CONFIG_DEBUG_PAGE_REF is not set\nCONFIG_RANDOMIZE_MEMORY=y\n';
const CONFIG_61 = 'CONFIG_TRANSPARENT_HUGEPAGE=y\nCONFIG_FS_DAX_PMD=y\nCONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y\n# CONFIG_DEBUG_PAGE_REF is not set\n';

/** The three kernel families, each with the functions its shipped recordings attached to. */
const KERNELS = {
  '6.1': { release: '6.1.0-56-amd64', functions: functionsOf('k61-ext4-daxwork', 'k61-ext4-daxrace'), config: CONFIG_61 },
  '6.12': { release: '6.12.117+deb13-amd64', functions: functionsOf('k612-ext4-daxwork', 'k612-ext4-daxshare', 'k612-devdax-devdaxwork'), config: CONFIG_61 },
  '7.2': { release: '7.2.13+deb14-amd64', functions: functionsOf('k72-ext4-daxwork', 'k72-ext4-daxshare', 'k72-devdax-devdaxwork'), config: CONFIG_72 },
} as const satisfies Record<string, FakeKernel>;

let trees: FakeTree[] = [];
function tree(k: FakeKernel): FakeTree {
  const t = makeTree(k);
  trees.push(t);
  return t;
}
afterEach(() => {
  for (const t of trees) t.cleanup();
  trees = [];
});

/** The header lines of a recording (up to the body). */
function headerLines(text: string): string[] {
  const lines = text.split('\n');
  return lines.slice(0, lines.findIndex((l) => !l.startsWith('#') && !l.startsWith('KTRACE-BEGIN')));
}
/** The items of one `# name:` block. */
function block(text: string, name: string): string[] {
  const lines = headerLines(text);
  const at = lines.indexOf(`# ${name}:`);
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('#   ')) break;
    out.push(l.slice(4));
  }
  return out;
}
/** `name → ok|FAILED` of an attach status block. */
function statusByName(items: readonly string[]): Map<string, string> {
  return new Map(items.map((l) => [/^\S+ [pr]\d*:ktr\/(\w+)/.exec(l)?.[1] ?? l, l.split(' ')[0]!]));
}

describe('the header', () => {
  it('is written line by line from the fake 7.2 machine, with the KASLR base and the BTF layout', () => {
    const t = tree({ ...KERNELS['7.2'], functions: [...KERNELS['7.2'].functions, '__x64_sys_mremap', '__x64_sys_mprotect', 'change_protection'], vmemmapBase: '0xffffc8d340000000', btf: fakeBtf() });
    const out = join(t.tmp, 'trace.txt');
    const r = runRecorder(t, ['-o', out, '--label', 'fs=ext4', '--label', 'work=daxwork', '--header', 'note: from the test', '--snap', '48050', '--', 'sh', '-c', 'exit 0']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const text = readFileSync(out, 'utf8');
    const lines = headerLines(text);
    expect(lines.slice(0, lines.indexOf('# kprobe_events:') + 1)).toEqual([
      'KTRACE-BEGIN kernel=7.2.13+deb14-amd64 fs=ext4 work=daxwork',
      '# kconfig: CONFIG_TRANSPARENT_HUGEPAGE=y CONFIG_FS_DAX_PMD=y CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y CONFIG_PAGE_MAPCOUNT=y CONFIG_DEBUG_PAGE_REF=n',
      '# kconfig-source: /proc/config.gz',
      '# cmdline: console=ttyS0 memmap=512M!1G',
      '# pmem: 40000000-5fffffff : Persistent Memory (legacy);',
      '# nd namespace0.0: mode=fsdax size=536870912',
      '# note: from the test',
      '# recorder: dax-refsim-record.sh command=sh -c exit 0 exit=0 comm=sh',
      '# probe sets: gup_new common uni dev_order dev dev_uni lt share vma (model: unified by vmf_insert_folio_pmd/vmf_insert_page_mkwrite; gup: new by try_grab_folio_fast; functions from available_filter_functions)',
      '# vmemmap: base=0xffffc8d340000000 base_from=kprobe layout_from=btf struct_page=64 refcount=52 mapcount=48 word1=8 order=64 large=80 entire=88 pincount=92 pgmap_type=96 pgmap_shift=104 pgmap_nr_range=128 pgmap_range=136',
      '# kprobe_events:',
    ]);
    const probes = block(text, 'kprobe_events');
    const status = block(text, 'probe attach status');
    // what kprobe_events lists is exactly what attached
    expect(probes).toEqual(status.filter((l) => l.startsWith('ok ')).map((l) => l.slice(3)));
    expect(probes).toContain('p:ktr/rmap_add_pmd folio_add_file_rmap_pmd folio=%di:x64 ref=+52(%di):s32 order=+64(%di):u8 entire=+88(%di):s32');
    expect(probes).toContain('p:ktr/vmf_insert_pfn_pmd vmf_insert_pfn_pmd vmf=%di:x64 pfn=%si:x64 write=%dx:u8');
    // the snap reads pfn 0x48050's words through the KASLR base: 0xffffc8d340000000 + 0x48050 × 64
    expect(probes).toContain('p:ktr/snap ksys_write fd=%di:u32 txt=+0(%si):ustring r_48050=@0xffffc8d341201434:s32 m_48050=@0xffffc8d341201430:s32 o_48050=@0xffffc8d341201440:u8 e_48050=@0xffffc8d341201458:s32 p_48050=@0xffffc8d34120145c:s32 w1_48050=@0xffffc8d341201408:x64');
    const filters = block(text, 'filters');
    expect(filters).toContain('folio_put: folio >= 0xffffc8d341000000 && folio < 0xffffc8d341800000');
    expect(filters).toContain('unpin_user_pages: page0 >= 0xffffc8d341000000 && page0 < 0xffffc8d341800000');
    expect(filters).toContain('wake_up_var: var >= 0xffffc8d341000000 && var < 0xffffc8d341800000');
    expect(filters).toContain('layout_busy_ret: none');
    expect(filters).toContain('check_vma_flags: comm == "sh"');
    // mremap()'s arguments from the syscall wrapper's struct pt_regs (di si dx r10 r8), its result at return
    expect(probes).toContain('p:ktr/mremap __x64_sys_mremap addr=+112(%di):x64 old_len=+104(%di):u64 new_len=+96(%di):u64 flags=+56(%di):x32 new_addr=+72(%di):x64');
    expect(probes).toContain('r:ktr/mremap_ret __x64_sys_mremap ret=$retval:x64');
    // a PTE rmap removal names its VMA (folio_remove_rmap_ptes()'s fourth argument: vm_start, vm_end)
    expect(probes).toContain('p:ktr/rmap_remove_ptes folio_remove_rmap_ptes folio=%di:x64 page=%si:x64 nr=%dx:s32 ref=+52(%di):s32 mapcount=+48(%si):s32 vm_start=+0(%cx):x64 vm_end=+8(%cx):x64');
    expect(filters).toContain('mremap: comm == "sh"');
    expect(filters).toContain('mremap_ret: comm == "sh"');
    // mprotect()'s arguments (di si dx) and result, and the ranges change_protection() really changed
    expect(probes).toContain('p:ktr/mprotect __x64_sys_mprotect start=+112(%di):x64 len=+104(%di):u64 prot=+96(%di):x32');
    expect(probes).toContain('r:ktr/mprotect_ret __x64_sys_mprotect ret=$retval:s64');
    expect(probes).toContain('p:ktr/change_protection change_protection start=%dx:x64 end=%cx:x64');
    expect(filters).toContain('mprotect: comm == "sh"');
    expect(filters).toContain('mprotect_ret: comm == "sh"');
    expect(filters).toContain('change_protection: comm == "sh"');
    expect(filters).toContain('snap: fd == 3 && comm == "sh"');
    expect(text.trimEnd().endsWith('KTRACE-END')).toBe(true);
    // and the project's reader takes it whole: no header issue, every probe typed
    const parsed = parseTraceText(text, 'trace.txt');
    expect(parsed.issues).toEqual([]);
    expect(parsed.header.kernel).toBe('7.2.13+deb14-amd64');
    expect(parsed.header.vmemmap).toMatchObject({ base: 0xffffc8d340000000n, baseFrom: 'kprobe', structPage: 64, layoutFrom: 'btf' });
    expect(parsed.header.probes).toHaveLength(probes.length);
    expect(parsed.header.attachStatus.filter((s) => s.ok)).toHaveLength(probes.length);
  });

  it('writes a device-dax instance as check reads it and adds its range to the filters', () => {
    const t = tree({
      ...KERNELS['6.12'], vmemmapBase: '0xffffea0000000000', iomem: '100000000-17fffffff : Persistent Memory (legacy)\n',
      dax: { align: '1073741824', resource: '0x140000000', size: '1073741824' },
    });
    const r = runRecorder(t, ['--', 'true']);
    expect(r.status).toBe(0);
    expect(headerLines(r.stdout)).toContain('# dax0.0: align=1073741824 resource=0x140000000 size=1073741824');
    expect(headerLines(r.stdout)).toContain('# pmem: 100000000-17fffffff : Persistent Memory (legacy);');
    const parsed = parseTraceText(r.stdout, 't');
    expect(parsed.header.daxDevices[0]?.settings).toEqual({ align: '1073741824', resource: '0x140000000', size: '1073741824' });
    // pfns 0x100000-0x180000 (the dax range lies inside the pmem range)
    expect(block(r.stdout, 'filters')).toContain('folio_put: folio >= 0xffffea0004000000 && folio < 0xffffea0006000000');
  });

  it('says which defaults it fell back to: no vmemmap_base symbol, no BTF, no config', () => {
    const t = tree({ release: '7.2.13+deb14-amd64', functions: KERNELS['7.2'].functions });
    const r = runRecorder(t, ['--', 'true']);
    expect(r.status).toBe(0);
    const lines = headerLines(r.stdout);
    expect(lines).toContain('# kconfig-source: none (no /proc/config.gz, no /boot/config-7.2.13+deb14-amd64): give check --kconfig');
    expect(lines).toContain('# vmemmap: base=0xffffea0000000000 base_from=default layout_from=default-7.2 struct_page=64 refcount=52 mapcount=48 word1=8 order=64 large=80 entire=88 pincount=92 pgmap_type=96 pgmap_shift=104 pgmap_nr_range=128 pgmap_range=136');
    expect(lines).toContain('# vmemmap fallback: no vmemmap_base in /proc/kallsyms; assumed VMEMMAP_START 0xffffea0000000000 (4-level paging, no KASLR)');
    expect(lines).toContain('# layout fallback: no usable BTF; assumed the struct page layout recorded for 7.2');
  });

  it('names CONFIG_PAGE_MAPCOUNT only for kernels that have the option (mm/Kconfig, 6.15 and later)', () => {
    const k614 = runRecorder(tree({ release: '6.14.11', functions: KERNELS['6.12'].functions, config: CONFIG_61 }), ['--', 'true']);
    expect(k614.status).toBe(0);
    expect(headerLines(k614.stdout)).toContain('# kconfig: CONFIG_TRANSPARENT_HUGEPAGE=y CONFIG_FS_DAX_PMD=y CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y CONFIG_DEBUG_PAGE_REF=n');
    const k615 = runRecorder(tree({ release: '6.15.4', functions: KERNELS['7.2'].functions, config: CONFIG_72 }), ['--', 'true']);
    expect(k615.status).toBe(0);
    expect(headerLines(k615.stdout)).toContain('# kconfig: CONFIG_TRANSPARENT_HUGEPAGE=y CONFIG_FS_DAX_PMD=y CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y CONFIG_PAGE_MAPCOUNT=y CONFIG_DEBUG_PAGE_REF=n');
  });

  it('without vmemmap_base on a 5-level-paging CPU assumes 5-level VMEMMAP_START, and says so', () => {
    const t = tree({ release: '6.12.118', functions: KERNELS['6.12'].functions, config: 'CONFIG_X86_5LEVEL=y\n' });
    writeFileSync(join(t.root, 'proc/cpuinfo'), 'processor\t: 0\nflags\t\t: fpu vme la57 pku\n');
    const r = runRecorder(t, ['--', 'true']);
    expect(r.status).toBe(0);
    const lines = headerLines(r.stdout);
    expect(lines.find((l) => l.startsWith('# vmemmap:'))).toMatch(/^# vmemmap: base=0xffd4000000000000 base_from=default /);
    expect(lines).toContain('# vmemmap fallback: no vmemmap_base in /proc/kallsyms; assumed VMEMMAP_START 0xffd4000000000000 (5-level paging (la57, no no5lvl), no KASLR)');
    expect(block(r.stdout, 'filters')).toContain('folio_put: folio >= 0xffd4000001000000 && folio < 0xffd4000001800000');
  });

  it('reads another layout from BTF and puts its offsets into the probes', () => {
    const l: FakeLayout = { ...LAYOUT_72, entire: 84, large: 80, pincount: 92, pgmapType: 104 };
    const t = tree({ ...KERNELS['6.12'], vmemmapBase: '0xffffea0000000000', btf: fakeBtf(l) });
    const r = runRecorder(t, ['--', 'true']);
    expect(headerLines(r.stdout)).toContain('# vmemmap: base=0xffffea0000000000 base_from=kprobe layout_from=btf struct_page=64 refcount=52 mapcount=48 word1=8 order=64 large=80 entire=84 pincount=92 pgmap_type=104 pgmap_shift=104 pgmap_nr_range=128 pgmap_range=136');
    expect(block(r.stdout, 'kprobe_events')).toContain('p:ktr/rmap_add_pmd folio_add_file_rmap_pmd folio=%di:x64 ref=+52(%di):s32 order=+64(%di):u8 entire=+84(%di):s32');
  });
  it('joins a snap line the marker text broke (a newline and an unterminated buffer inside txt=)', () => {
    const t = tree({ ...KERNELS['7.2'], vmemmapBase: '0xffffea0000000000' });
    // what the kernel prints for write(3, "PHASE a begin\n<junk>", …) read as a C string
    const body = '     w-5       (      5) [000] .....     1.000001: snap: (ksys_write+0x4/0xe0) fd=3 txt="PHASE a begin\n\u0001\u0002junk" r_48050=1 m_48050=-1\n     w-5       (      5) [000] .....     1.000002: tracing_mark_write: PHASE a begin\n';
    const r = runRecorder(t, ['--', 'sh', '-c', `printf '%s' '${body.replace(/'/g, "'\\''")}' >> ${t.tracing}/trace; echo from-the-command`]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(lines.length - 4)).toEqual([
      '     w-5       (      5) [000] .....     1.000001: snap: (ksys_write+0x4/0xe0) fd=3 txt="PHASE a begin" r_48050=1 m_48050=-1',
      '     w-5       (      5) [000] .....     1.000002: tracing_mark_write: PHASE a begin',
      'KTRACE-END',
      '',
    ]);
    // the command's own output went to stderr, not into the trace on stdout
    expect(r.stderr).toBe('from-the-command\n');
  });
});

describe('the probe set of each kernel family', () => {
  for (const [family, k] of Object.entries(KERNELS)) {
    it(`${family}: attaches exactly what the shipped ${family} recordings attached`, () => {
      const t = tree({ ...k, vmemmapBase: '0xffffea0000000000' });
      const r = runRecorder(t, ['--', 'true']);
      expect(r.status).toBe(0);
      const ours = statusByName(block(r.stdout, 'probe attach status'));
      const shipped = new Map<string, string>();
      for (const trace of { '6.1': ['k61-ext4-daxwork'], '6.12': ['k612-ext4-daxshare', 'k612-devdax-devdaxwork'], '7.2': ['k72-ext4-daxshare', 'k72-devdax-devdaxwork'] }[family]!) {
        const text = readFileSync(new URL(`../../events/traces/${trace}.trace.txt`, import.meta.url), 'utf8');
        for (const [n, s] of statusByName(block(text, 'probe attach status'))) if (s === 'ok' || !shipped.has(n)) shipped.set(n, s);
      }
      const okOurs = [...ours].filter(([, s]) => s === 'ok').map(([n]) => n).sort();
      const okShipped = [...shipped].filter(([n, s]) => s === 'ok' && n !== 'snap').map(([n]) => n).sort();
      expect(okOurs).toEqual(okShipped);
    });
  }

  it('every family: a vmsplice()d page\'s put is probed where the pipe releases it, page_cache_pipe_buf_release()', () => {
    for (const k of Object.values(KERNELS)) {
      const t = tree({ ...k, functions: [...k.functions, 'page_cache_pipe_buf_release'], vmemmapBase: '0xffffea0000000000' });
      const r = runRecorder(t, ['--', 'true']);
      const def = 'p:ktr/pipe_page_release page_cache_pipe_buf_release pipe=%di:x64 buf=%si:x64 page=+0(%si):x64 ref=+52(+0(%si)):s32';
      expect(block(r.stdout, 'kprobe_events')).toContain(def);
      expect(block(r.stdout, 'probe attach status')).toContain(`ok ${def}`);
      // filtered to the ZONE_DEVICE struct pages like every page probe
      expect(block(r.stdout, 'filters')).toContain('pipe_page_release: page >= 0xffffea0001000000 && page < 0xffffea0001800000');
    }
  });

  it('6.1: the page-based GUP and devmap helpers, dev_dax_huge_fault with pe_size', () => {
    // (folio_add_file_rmap_pud is not a 6.1 function: added to see a field 6.1 lacks, _large_mapcount, left out)
    const t = tree({ ...KERNELS['6.1'], functions: [...KERNELS['6.1'].functions, 'dev_dax_huge_fault', 'folio_add_file_rmap_pud'], vmemmapBase: '0xffffea0000000000' });
    const r = runRecorder(t, ['--', 'true']);
    const probes = block(r.stdout, 'kprobe_events');
    expect(probes).toContain('p:ktr/try_grab_folio try_grab_folio page=%di:x64 refs=%si:s32 flags=%dx:x32 pref=+52(%di):s32');
    expect(probes).toContain('r:ktr/try_grab_folio_ret try_grab_folio folio=$retval:x64 ref=+52($retval):s32');
    expect(probes).toContain('p:ktr/dev_dax_huge_fault dev_dax_huge_fault vmf=%di:x64 pe_size=%si:u32 address=+24(%di):x64');
    // 6.1's folio order byte is _folio_order at +81 (events/traces/k61-ext4-daxwork.md)
    expect(probes).toContain('p:ktr/folio_put __folio_put folio=%di:x64 ref=+52(%di):s32 order=+81(%di):u8');
    expect(probes).toContain('p:ktr/rmap_add_pud folio_add_file_rmap_pud folio=%di:x64 page=%si:x64 ref=+52(%di):s32 order=+81(%di):u8 entire=+84(%di):s32');
    const status = block(r.stdout, 'probe attach status');
    expect(status).toContain('FAILED p:ktr/try_grab_folio_fast try_grab_folio_fast page=%di:x64 refs=%si:s32 flags=%dx:x32 pref=+52(%di):s32');
    expect(status).toContain('FAILED p:ktr/unpin_user_folio unpin_user_folio folio=%di:x64 npages=%si:u64 ref=+52(%di):s32');
    expect(headerLines(r.stdout).find((l) => l.startsWith('# probe sets:'))).toBe('# probe sets: gup_old common leg_old dev_pesize dev dev_old lt share vma (model: legacy by __put_devmap_managed_*_refs; gup: old by try_grab_page; functions from available_filter_functions)');
  });

  it('6.12: the folio devmap helpers and the pfn_t inserts', () => {
    const t = tree({ ...KERNELS['6.12'], vmemmapBase: '0xffffea0000000000' });
    const probes = block(runRecorder(t, ['--', 'true']).stdout, 'kprobe_events');
    expect(probes).toContain('p:ktr/put_devmap_folio_refs __put_devmap_managed_folio_refs folio=%di:x64 refs=%si:s32 ref=+52(%di):s32');
    expect(probes).toContain('p:ktr/vmf_insert_pfn_pmd vmf_insert_pfn_pmd vmf=%di:x64 pfn_t=%si:x64 write=%dx:u8');
    expect(probes).toContain('r:ktr/get_dev_pagemap_ret get_dev_pagemap pgmap=$retval:x64 type=+104($retval):u32 shift=+112($retval):u64 nr_range=+136($retval):s32 start=+144($retval):x64 end=+152($retval):x64');
    expect(probes.some((p) => p.includes('vmf_insert_page_mkwrite'))).toBe(false);
  });

  it('a 7.x kernel without the 6.15 functions in its list is still unified by its version; --page-ref needs page_ref', () => {
    const t = tree({ release: '7.9.1', functions: ['try_grab_folio', 'try_grab_folio_fast'], vmemmapBase: '0xffffea0000000000' });
    const r = runRecorder(t, ['--', 'true']);
    expect(headerLines(r.stdout)).toContain('# probe sets: gup_new common uni dev_order dev dev_uni lt share vma (model: unified by kernel 7.9.1 (neither model\'s functions listed); gup: new by try_grab_folio_fast; functions from available_filter_functions)');
    const forced = runRecorder(t, ['--page-ref', '--', 'true']);
    expect(forced.status).toBe(2);
    expect(forced.stderr).toContain('--page-ref: this kernel has no page_ref tracepoints');
  });

  it('enables page_ref with a pfn filter where the kernel has it', () => {
    const t = tree({ ...KERNELS['7.2'], vmemmapBase: '0xffffea0000000000', pageRef: true });
    // the command prints what it sees while recording
    const r = runRecorder(t, ['--page-ref', '--', 'sh', '-c', `cat ${t.tracing}/events/page_ref/page_ref_mod/filter ${t.tracing}/events/page_ref/page_ref_mod/enable >&2`]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('pfn >= 0x40000 && pfn < 0x60000\n1\n');
    expect(block(r.stdout, 'filters')).toContain('page_ref (system): pfn >= 0x40000 && pfn < 0x60000');
    expect(readFileSync(join(t.tracing, 'events/page_ref/page_ref_mod/enable'), 'utf8')).toBe('0\n');
  });
});

describe('restoring tracefs', () => {
  const k: FakeKernel = { ...KERNELS['7.2'], vmemmapBase: '0xffffea0000000000', pageRef: true };

  it('after a normal exit: every setting as before, the probes gone, the command saw them set', () => {
    const t = tree(k);
    const before = settings(t);
    const out = join(t.tmp, 't.txt');
    const r = runRecorder(t, ['-o', out, '--', 'sh', '-c', `cat ${t.tracing}/tracing_on ${t.tracing}/options/record-tgid ${t.tracing}/buffer_size_kb ${t.tracing}/events/fs_dax/dax_pmd_fault/enable; echo "$DAX_REFSIM_MARKER"`]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`1\n1\n16384\n1\n${t.tracing}/trace_marker\n`);
    expect(settings(t)).toEqual(before);
    expect(before['kprobe_events (defined)']).toBe('');
    expect(before['buffer_size_kb']).toBe('1408');
    expect(existsSync(out)).toBe(true);
  });

  it('after a failing command: the same, and its exit status passed through with the trace', () => {
    const t = tree(k);
    const before = settings(t);
    const out = join(t.tmp, 't.txt');
    const r = runRecorder(t, ['-o', out, '--', 'sh', '-c', 'exit 3']);
    expect(r.status).toBe(3);
    expect(settings(t)).toEqual(before);
    expect(readFileSync(out, 'utf8')).toContain('# recorder: dax-refsim-record.sh command=sh -c exit 3 exit=3 comm=sh\n');
  });

  it('after a set-up error: nothing changed, no output file', () => {
    const t = tree({ ...k, iomem: '00000000-00000fff : Reserved\n' });
    const before = settings(t);
    const out = join(t.tmp, 't.txt');
    const r = runRecorder(t, ['-o', out, '--', 'true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no ZONE_DEVICE memory found');
    expect(settings(t)).toEqual(before);
    expect(existsSync(out)).toBe(false);
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`after ${signal}: the command stopped, every setting restored, no trace written`, { timeout: 120_000 }, async () => {
      const t = tree(k);
      const before = settings(t);
      const out = join(t.tmp, 't.txt');
      const started = join(t.tmp, 'started');
      const child = startRecorder(t, ['-o', out, '--', 'sh', '-c', `echo $$ > ${started}; exec sleep 30`]);
      let stderr = '';
      child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      // (a loaded machine may take seconds to set up; the signal must come during the command)
      for (let i = 0; i < 1200 && !existsSync(started); i++) await new Promise((res) => setTimeout(res, 50));
      expect(existsSync(started), stderr).toBe(true);
      expect(readFileSync(join(t.tracing, 'options/record-tgid'), 'utf8')).toBe('1\n');
      child.kill(signal);
      expect(await exited, stderr).toBe(code);
      expect(stderr).toContain(`interrupted by ${signal}; tracefs restored, no trace written`);
      expect(settings(t)).toEqual(before);
      expect(existsSync(out)).toBe(false);
      // the command was stopped with the recording, not left running
      const pid = Number(readFileSync(started, 'utf8'));
      expect(() => process.kill(pid, 0)).toThrow();
    });
  }
});
