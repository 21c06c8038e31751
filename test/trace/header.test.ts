import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTraceText, type ParsedTrace } from '../../src/trace/read-trace.ts';

function load(name: string): ParsedTrace {
  const text = readFileSync(new URL(`../../events/traces/${name}`, import.meta.url), 'utf8');
  return parseTraceText(text, name);
}

describe('KTRACE header of k61-ext4-daxrace (stock Debian 6.1, probes that failed to attach)', () => {
  const { header } = load('k61-ext4-daxrace.trace.txt');

  it('reads kernel, fs and work from KTRACE-BEGIN', () => {
    expect(header.ktrace).toBe(true);
    expect(header.kernel).toBe('6.1.0-56-amd64');
    expect(header.release).toEqual({ text: '6.1.0-56-amd64', major: 6, minor: 1, patch: 0, suffix: '-56-amd64' });
    expect(header.fs).toBe('ext4');
    expect(header.work).toBe('race');
  });

  it('reads # kconfig: into CONFIG_X → value', () => {
    expect(header.kconfig).toEqual({
      CONFIG_TRANSPARENT_HUGEPAGE: 'y',
      CONFIG_FS_DAX_PMD: 'y',
      CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: 'y',
      CONFIG_DEBUG_PAGE_REF: 'n',
    });
  });

  it('keeps the 30 registered probes and lists 8 that failed to attach', () => {
    expect(header.probes).toHaveLength(30);
    expect(header.attachStatus).toHaveLength(38);
    expect(header.attachStatus.filter((s) => s.ok)).toHaveLength(30);
    expect(header.attachStatus.filter((s) => !s.ok).map((s) => s.probe?.name)).toEqual([
      'try_grab_folio_fast', 'try_grab_folio_fast_ret', 'unpin_user_folio', 'free_zone_device_folio',
      'rmap_add_ptes', 'rmap_add_pmd', 'rmap_remove_ptes', 'rmap_remove_pmd',
    ]);
    expect(header.attachStatus.find((s) => !s.ok)?.status).toBe('FAILED');
  });

  it('reads the pmem range, tracer and entry counts', () => {
    expect(header.pmem).toEqual([{ start: 0x40000000n, end: 0x5fffffffn, name: 'Persistent Memory (legacy)' }]);
    expect(header.tracer).toBe('nop');
    expect(header.entries).toEqual({ inBuffer: 44, written: 44 });
    expect(header.cpus).toBe(2);
    expect(header.dialect).toBe('tracefs');
  });
});

describe('KTRACE header of k612-devdax-devdaxwork (device-dax)', () => {
  const { header } = load('k612-devdax-devdaxwork.trace.txt');

  it('reads kernel, fs, work and the dax0.0 block', () => {
    expect([header.kernel, header.fs, header.work]).toEqual(['6.12.117+deb13-amd64', 'ext4', 'devdax']);
    expect(header.release).toMatchObject({ major: 6, minor: 12, patch: 117 });
    expect(header.daxDevices).toHaveLength(1);
    const dax = header.daxDevices[0];
    expect(dax?.device).toBe('dax0.0');
    expect(dax?.settings).toEqual({ align: '1073741824', resource: '0x140000000', size: '1073741824' });
    expect(dax?.ndctl).toMatchObject({ dev: 'namespace0.0', mode: 'devdax', map: 'dev', align: 1073741824 });
    expect(header.pmem).toEqual([{ start: 0x100000000n, end: 0x17fffffffn, name: 'Persistent Memory (legacy)' }]);
  });

  it('counts 46 probe definitions, 50 attach lines of which 4 failed', () => {
    expect(header.probes).toHaveLength(46);
    expect(header.attachStatus.filter((s) => s.ok)).toHaveLength(46);
    expect(header.attachStatus.filter((s) => !s.ok).map((s) => s.definition.split(' ')[0])).toEqual([
      'p:ktr/vmf_insert_folio_pud', 'r:ktr/vmf_insert_folio_pud_ret', 'p:ktr/rmap_add_pud', 'p:ktr/rmap_remove_pud',
    ]);
  });

  it('types the snap probe args, including w1_ as x64 and p_ as s32', () => {
    const snap = header.probes.find((p) => p.name === 'snap');
    expect(snap?.symbol).toBe('ksys_write');
    expect(snap?.args.slice(0, 2)).toEqual([
      { name: 'fd', fetch: '%di', type: { text: 'u32', base: 'u32', arrayLength: null, bits: 32 } },
      { name: 'txt', fetch: '+0(%si)', type: { text: 'ustring', base: 'ustring', arrayLength: null, bits: 0 } },
    ]);
    const w1 = snap?.args.find((a) => a.name === 'w1_140000');
    expect(w1).toEqual({ name: 'w1_140000', fetch: '@0xffffea0005000008', type: { text: 'x64', base: 'x64', arrayLength: null, bits: 64 } });
    expect(snap?.args.find((a) => a.name === 'p_140000')?.type.base).toBe('s32');
  });
});

describe('KTRACE header of k72dbg-ext4-daxwork (custom 7.2, DEBUG_PAGE_REF)', () => {
  const { header } = load('k72dbg-ext4-daxwork.trace.txt');

  it('reads kernel, fs, work and kconfig', () => {
    expect([header.kernel, header.fs, header.work]).toEqual(['7.2.13', 'ext4', 'daxwork']);
    expect(header.kconfig['CONFIG_PAGE_MAPCOUNT']).toBe('y');
    expect(header.kconfig['CONFIG_DEBUG_PAGE_REF']).toBe('y');
    expect(header.kconfig['CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP']).toBe('n');
    expect(header.cmdline).toMatch(/^console=ttyS0 nokaslr no5lvl memmap=512M!1G .* ktr\.snap=48400,/);
  });

  it('has 36 probes, all attached', () => {
    expect(header.probes).toHaveLength(36);
    expect(header.attachStatus).toHaveLength(36);
    expect(header.attachStatus.every((s) => s.ok && s.status === 'ok')).toBe(true);
  });

  it('reads a kretprobe defined as r10: and listed back as r:', () => {
    const def = header.probes.find((p) => p.name === 'layout_busy_ret');
    expect(def).toMatchObject({
      letter: 'r', kind: 'return', maxactive: 10, group: 'ktr', symbol: 'dax_layout_busy_page_range',
      target: 'dax_layout_busy_page_range', module: null, offset: null,
    });
    expect(def?.args.map((a) => `${a.name}=${a.fetch}:${a.type.text}`)).toEqual(['page=$retval:x64', 'ref=+52($retval):s32']);
    const listed = header.attachStatus.find((s) => s.probe?.name === 'layout_busy_ret')?.probe;
    expect(listed).toMatchObject({ letter: 'r', kind: 'return', maxactive: null });
  });

  it('reads filters, kallsyms and the ftrace comment block', () => {
    expect(header.filters.find((f) => f.event === 'snap')).toEqual({
      line: 100, event: 'snap', scope: 'event', filter: 'fd == 3 && (comm == "daxwork" || comm == "daxrace")',
    });
    expect(header.filters.find((f) => f.event === 'dax_break_layout')?.filter).toBeNull();
    expect(header.kallsyms[0]).toEqual({ address: 0xffffffff8134da18n, type: 't', name: 'try_grab_folio_fast', module: null });
    expect(header.kallsyms).toHaveLength(16);
    expect(header.tracer).toBe('nop');
    expect(header.entries).toEqual({ inBuffer: 237, written: 237 });
    expect(header.comments.map((c) => c.line)).toEqual([134, 136, 137, 138, 139, 140, 141, 142, 143, 144]);
  });
});

describe('header of a trace-cmd report (k72dbg-ext4-daxwork.tracecmd)', () => {
  const { header } = load('k72dbg-ext4-daxwork.tracecmd.txt');

  it('knows the dialect, the cpus= line and the trace-cmd version', () => {
    expect(header.dialect).toBe('trace-cmd');
    expect(header.attributes['format']).toBe('trace-cmd-report');
    expect(header.cpus).toBe(2);
    expect(header.tracer).toBeNull();
    expect(header.traceCmd?.version).toBe('3.1.6');
    expect(header.traceCmd?.record).toMatch(/^trace-cmd record -b 16384 -o \/tc\/trace\.dat -e fs_dax /);
    expect(header.traceCmd?.report).toMatch(/^trace-cmd report -i \/tc\/trace\.dat/);
  });

  it('reads a filter set on a whole event system', () => {
    expect(header.filters.find((f) => f.event === 'page_ref')).toMatchObject({
      scope: 'system', filter: 'pfn >= 0x40000 && pfn < 0x60000',
    });
  });
});

describe('traces without a KTRACE header', () => {
  it('give an empty header for plain tracefs output', () => {
    const text = [
      '# tracer: nop',
      '#',
      '# entries-in-buffer/entries-written: 1/1   #P:4',
      '          <idle>-0       [003] d.h2.   100.000000: page_ref_mod: pfn=0x1080200 flags=reserved count=2 mapcount=0 mapping=00000000d3adb33f mt=1 val=1',
    ].join('\n');
    const t = parseTraceText(text, 'plain.txt');
    expect(t.header).toMatchObject({ ktrace: false, kernel: null, release: null, fs: null, work: null, probes: [], cpus: 4, dialect: 'tracefs' });
    expect(t.header.kconfig).toEqual({});
    expect(t.records).toHaveLength(1);
    expect(t.issues).toEqual([]);
  });

  it('give an empty header for plain trace-cmd report output, with version and empty-CPU lines', () => {
    const text = [
      'version = 6',
      'CPU 0 is empty',
      'cpus=2',
      '         daxwork-505   [001]     6.346994: print:                tracing_mark_write: PHASE done',
    ].join('\n');
    const t = parseTraceText(text, 'report.txt');
    expect(t.header).toMatchObject({ ktrace: false, cpus: 2, emptyCpus: [0], dialect: 'trace-cmd' });
    expect(t.header.traceCmd).toEqual({ version: null, record: null, report: null, fileVersion: '6' });
    expect(t.records.map((r) => r.kind)).toEqual(['marker']);
    expect(t.issues).toEqual([]);
  });

  it('give an empty header when the text has no lines at all', () => {
    const t = parseTraceText('', 'empty.txt');
    expect(t.header.ktrace).toBe(false);
    expect(t.records).toEqual([]);
    expect(t.summary.lines).toBe(0);
  });
});

describe('header lines the reader does not understand', () => {
  it('keeps unknown # lines as comments, not issues', () => {
    const t = parseTraceText('KTRACE-BEGIN kernel=7.2.13 fs=xfs work=w\n# note: something new\n# free text\nKTRACE-END\n', 'x');
    expect(t.header.comments).toEqual([{ line: 2, text: '# note: something new' }, { line: 3, text: '# free text' }]);
    expect(t.header.fs).toBe('xfs');
    expect(t.issues).toEqual([]);
  });

  it('reports malformed kconfig tokens and probe definitions as BAD_HEADER warnings at their column', () => {
    const text = [
      'KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w',
      '# kconfig: CONFIG_A=y oops CONFIG_B=m',
      '# kprobe_events:',
      '#   p:ktr/ok_probe some_func a=%di:u8',
      '#   x:ktr/bad',
      'KTRACE-END',
    ].join('\n');
    const t = parseTraceText(text, 'h.txt');
    expect(t.header.kconfig).toEqual({ CONFIG_A: 'y', CONFIG_B: 'm' });
    expect(t.header.probes.map((p) => p.name)).toEqual(['ok_probe']);
    expect(t.issues.map((i) => [i.code, i.severity, i.line, i.column])).toEqual([
      ['BAD_HEADER', 'warning', 2, 23],
      ['BAD_HEADER', 'warning', 5, 5],
    ]);
  });
});
