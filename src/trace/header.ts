/**
 * Incremental reader of a trace's header: feed it lines until it declines one (the
 * first event line), then {@link HeaderBuilder.build} the {@link TraceHeader}.
 */
import { makeIssue, type ParseIssue } from './issues.ts';
import { parseKernelRelease } from './kernel-release.ts';
import { parseProbeDefinition, type ProbeDefinition } from './probe-definition.ts';
import type {
  DaxDeviceInfo, EventFilter, HeaderComment, IomemRange, KallsymsEntry, KconfigValue,
  ProbeAttachStatus, TraceCmdInfo, TraceDialect, TraceHeader,
} from './header-types.ts';
import { parseDaxDevice, parseKallsyms, parseKconfig, parsePmem, parseFilter } from './header-items.ts';
import { STRUCT_PAGE_SIZE } from './address.ts';
import { parseVmemmap, type VmemmapInfo } from './vmemmap.ts';

type Section = 'probes' | 'attach' | 'filters' | 'kallsyms' | null;

const SECTION_OF: Readonly<Record<string, Section>> = {
  'kprobe_events': 'probes',
  'probe attach status': 'attach',
  'filters': 'filters',
  'kallsyms (selected)': 'kallsyms',
};

/** An empty header: what a trace without any header lines has. */
export function emptyHeader(dialect: TraceDialect = 'unknown'): TraceHeader {
  return new HeaderBuilder('', () => undefined).build(dialect);
}

/** Accumulates header lines; reports malformed ones through `report`. */
export class HeaderBuilder {
  private readonly file: string;
  private readonly report: (issue: ParseIssue) => void;
  private section: Section = null;
  private begin: Record<string, string> | null = null;
  private kconfig: Record<string, KconfigValue> = {};
  private cmdline: string | null = null;
  private readonly pmem: IomemRange[] = [];
  private readonly dax: DaxDeviceInfo[] = [];
  private vmemmap: VmemmapInfo | null = null;
  private readonly probes: ProbeDefinition[] = [];
  private readonly attach: ProbeAttachStatus[] = [];
  private readonly filters: EventFilter[] = [];
  private readonly kallsyms: KallsymsEntry[] = [];
  private readonly comments: HeaderComment[] = [];
  private readonly emptyCpus: number[] = [];
  private tracer: string | null = null;
  private entries: TraceHeader['entries'] = null;
  private cpus: number | null = null;
  private traceCmd: { version: string | null; record: string | null; report: string | null; fileVersion: string | null } | null = null;
  private dialect: TraceDialect = 'unknown';

  constructor(file: string, report: (issue: ParseIssue) => void) {
    this.file = file;
    this.report = report;
  }

  /** Consumes `text` if it is a header line and returns true; false for anything else. */
  accept(text: string, line: number): boolean {
    if (text.startsWith('KTRACE-BEGIN')) return this.acceptBegin(text, line);
    if (text.startsWith('#')) return this.acceptComment(text, line);
    if (text.trim() === '') return true;
    const cpus = /^cpus=(\d+)\s*$/.exec(text)?.[1];
    if (cpus !== undefined) return this.setTraceCmd(() => (this.cpus = Number(cpus)));
    const version = /^version = (\S+)\s*$/.exec(text)?.[1];
    if (version !== undefined) return this.setTraceCmd((t) => (t.fileVersion = version));
    const empty = /^CPU (\d+) is empty\s*$/.exec(text)?.[1];
    if (empty !== undefined) return this.setTraceCmd(() => this.emptyCpus.push(Number(empty)));
    return false;
  }

  /** The header as accumulated; `dialectHint` is used when the header itself did not say. */
  build(dialectHint: TraceDialect = 'unknown'): TraceHeader {
    const b = this.begin ?? {};
    const kernel = b['kernel'] ?? null;
    return {
      ktrace: this.begin !== null,
      kernel,
      release: kernel === null ? null : parseKernelRelease(kernel),
      fs: b['fs'] ?? null,
      work: b['work'] ?? null,
      attributes: { ...b },
      kconfig: { ...this.kconfig },
      cmdline: this.cmdline,
      pmem: [...this.pmem],
      daxDevices: [...this.dax],
      vmemmap: this.vmemmap,
      probes: [...this.probes],
      attachStatus: [...this.attach],
      filters: [...this.filters],
      kallsyms: [...this.kallsyms],
      tracer: this.tracer,
      entries: this.entries,
      cpus: this.cpus,
      emptyCpus: [...this.emptyCpus],
      traceCmd: this.traceCmd === null ? null : ({ ...this.traceCmd } satisfies TraceCmdInfo),
      dialect: this.dialect !== 'unknown' ? this.dialect : dialectHint,
      comments: [...this.comments],
    };
  }

  private acceptBegin(text: string, line: number): boolean {
    const attrs: Record<string, string> = {};
    for (const m of text.slice('KTRACE-BEGIN'.length).matchAll(/(\S+?)=(\S*)/g)) attrs[m[1] ?? ''] = m[2] ?? '';
    if (this.begin !== null) this.issue(text, line, 0, 'second KTRACE-BEGIN; keeping the first');
    else this.begin = attrs;
    if (attrs['kernel'] === undefined) this.issue(text, line, 0, 'KTRACE-BEGIN without kernel=');
    if (attrs['format']?.startsWith('trace-cmd') === true) this.dialect = 'trace-cmd';
    return true;
  }

  private acceptComment(text: string, line: number): boolean {
    const item = /^#\s{2,}(\S.*)$/.exec(text);
    if (item && this.section !== null) {
      this.acceptItem(this.section, item[1] ?? '', text, line, text.length - (item[1] ?? '').length);
      return true;
    }
    const kv = /^# ([^:]+?):\s?(.*)$/.exec(text);
    this.section = null;
    if (!kv || /^#\s{2,}/.test(text)) {
      this.comments.push({ line, text });
      return true;
    }
    const key = kv[1] ?? '';
    const value = kv[2] ?? '';
    const valueAt = text.length - value.length;
    const section = SECTION_OF[key];
    if (section !== undefined) this.section = section;
    else this.acceptKeyed(key, value, text, line, valueAt);
    return true;
  }

  private acceptKeyed(key: string, value: string, text: string, line: number, at: number): void {
    const site = { file: this.file, line, text };
    if (key === 'kconfig') this.kconfig = { ...this.kconfig, ...parseKconfig(value, site, at, this.report) };
    else if (key === 'cmdline') this.cmdline = value;
    else if (key === 'pmem') this.pmem.push(...parsePmem(value, site, at, this.report));
    else if (/^dax\d+\.\d+$/.test(key)) this.acceptDaxDevice(key, value, site, at);
    else if (key === 'vmemmap') this.acceptVmemmap(value, site, at);
    else if (key === 'tracer') {
      this.tracer = value.trim();
      this.dialect = 'tracefs';
    } else if (key === 'entries-in-buffer/entries-written') this.acceptEntries(value, text, line, at);
    else if (key === 'trace-cmd') this.setTraceCmd((t) => (t.version = /version (\S+)/.exec(value)?.[1] ?? value));
    else if (key === 'record' && this.traceCmd !== null) this.traceCmd.record = value;
    else if (key === 'report' && this.traceCmd !== null) this.traceCmd.report = value;
    else this.comments.push({ line, text });
  }

  private acceptItem(section: Exclude<Section, null>, item: string, text: string, line: number, at: number): void {
    const site = { file: this.file, line, text };
    if (section === 'probes') {
      const r = parseProbeDefinition(item);
      if (r.ok) this.probes.push(r.probe);
      else this.issue(text, line, at + r.offset, `bad probe definition: ${r.message}`);
    } else if (section === 'attach') {
      const m = /^(\S+)\s+(.*)$/.exec(item);
      const definition = m?.[2] ?? item;
      const r = parseProbeDefinition(definition);
      if (!m || !r.ok) this.issue(text, line, at, 'expected "ok|FAILED <probe definition>"');
      const status = m?.[1] ?? '';
      this.attach.push({ line, ok: status.toLowerCase() === 'ok', status, probe: r.ok ? r.probe : null, definition });
    } else if (section === 'filters') {
      const f = parseFilter(item, line);
      if (f) this.filters.push(f);
      else this.issue(text, line, at, 'expected "EVENT: FILTER|none"');
    } else {
      const k = parseKallsyms(item);
      if (k) this.kallsyms.push(k);
      else this.report(makeIssue(site, 'BAD_HEADER', at, 'expected "ADDRESS TYPE NAME [MODULE]"'));
    }
  }

  private acceptVmemmap(value: string, site: { file: string; line: number; text: string }, at: number): void {
    const v = parseVmemmap(value, site, at, this.report);
    if (this.vmemmap !== null) return this.issue(site.text, site.line, 0, 'second # vmemmap: line; keeping the first');
    this.vmemmap = v;
    // Every pointer → pfn conversion (lift, check, page_ref ranges) divides by 64: a
    // kernel with another sizeof(struct page) (6.1 without CONFIG_MEMCG: 56) would be
    // read at the wrong pfns, so such a trace is refused rather than misread.
    if (v.structPage !== null && v.structPage !== STRUCT_PAGE_SIZE) {
      const col = Math.max(0, site.text.indexOf('struct_page='));
      this.report(makeIssue(site, 'BAD_HEADER', col, `struct_page=${v.structPage}: dax-refsim reads struct page pointers as ${STRUCT_PAGE_SIZE}-byte entries and cannot place this kernel's pages`, 'error'));
    }
  }

  /**
   * A device-dax instance: its align, resource and size become a pgmap of compound
   * pages, so each is checked against what the kernel allows before it is used. An
   * instance out of bounds is an error at its value and is not used.
   */
  private acceptDaxDevice(key: string, value: string, site: { file: string; line: number; text: string }, at: number): void {
    const d = parseDaxDevice(key, value, site.line);
    const bad = daxDeviceBounds(d.settings);
    if (bad === null) {
      this.dax.push(d);
      return;
    }
    const col = at + Math.max(0, value.indexOf(`${bad.key}=`));
    this.report(makeIssue(site, 'BAD_HEADER', col, `${bad.key}=${d.settings[bad.key] ?? ''}: ${bad.message}`, 'error'));
  }

  private acceptEntries(value: string, text: string, line: number, at: number): void {
    const m = /^(\d+)\/(\d+)(?:\s+#P:(\d+))?/.exec(value.trim());
    if (!m) return this.issue(text, line, at, 'expected "N/M   #P:CPUS"');
    this.entries = { inBuffer: Number(m[1]), written: Number(m[2]) };
    if (m[3] !== undefined) this.cpus = Number(m[3]);
  }

  private setTraceCmd(apply: (t: NonNullable<HeaderBuilder['traceCmd']>) => unknown): true {
    this.traceCmd ??= { version: null, record: null, report: null, fileVersion: null };
    this.dialect = 'trace-cmd';
    apply(this.traceCmd);
    return true;
  }

  private issue(text: string, line: number, at: number, message: string): void {
    this.report(makeIssue({ file: this.file, line, text }, 'BAD_HEADER', at, message));
  }
}

/** Physical address bits of x86-64 (MAX_PHYSMEM_BITS with 5-level paging): no resource reaches past 2^52. */
const MAX_PHYSMEM_BITS = 52n;

/**
 * The first setting of a device-dax instance the kernel could not have, or null. The
 * align is one dev_dax_validate_align() accepts on x86-64 (PAGE_SIZE, PMD_SIZE,
 * PUD_SIZE; the pgmap's vmemmap_shift is order_base_2(align >> PAGE_SHIFT)), and the
 * range is aligned to it (alloc_dev_dax_range() keeps ranges align-aligned).
 */
export function daxDeviceBounds(settings: Readonly<Record<string, string>>): { key: string; message: string } | null {
  const num = (k: string): bigint | null | undefined => {
    const t = settings[k];
    if (t === undefined) return undefined;
    return /^(?:0x[0-9a-f]+|\d+)$/i.test(t) ? BigInt(t) : null;
  };
  const align = num('align');
  const resource = num('resource');
  const size = num('size');
  if (align === null || (align !== undefined && ![1n << 12n, 1n << 21n, 1n << 30n].includes(align))) return { key: 'align', message: 'expected 4096, 2097152 or 1073741824 (PAGE_SIZE, PMD_SIZE, PUD_SIZE)' };
  const unit = align ?? 1n << 12n;
  if (resource === null || (resource !== undefined && resource % unit !== 0n)) return { key: 'resource', message: `expected a physical address aligned to ${unit}` };
  if (size === null || (size !== undefined && size % unit !== 0n)) return { key: 'size', message: `expected a byte count aligned to ${unit}` };
  if (resource !== undefined && size !== undefined && resource + size > 1n << MAX_PHYSMEM_BITS) return { key: 'size', message: `the range runs past 2^${MAX_PHYSMEM_BITS} (MAX_PHYSMEM_BITS)` };
  return null;
}
