/**
 * Profiles: a model family on a version axis, plus the kernel config options that
 * change what can be observed (spec §0). A profile is named `<family>@<version>`.
 */
import type { TailEncoding } from '../state/page.ts';
import { changeHugePud, daxShare, dioPath, hasPageMapcountOption, kernelNames, pageLayout, type DaxShare, type DioPath, type KernelNames, type PageLayout } from './kernel-facts.ts';

/** Model families. */
export type Family = 'legacy' | 'unified';

/** Config options that change observable behaviour, as `CONFIG_X` → value. */
export type Kconfig = Readonly<Record<string, string>>;

/** One row of the version axis. */
export interface ProfileSpan {
  readonly family: Family;
  /** First and last kernel (major.minor) the span covers; null = open-ended. */
  readonly from: string;
  readonly to: string | null;
  /** The version a bare family name resolves to. */
  readonly newest: string;
  /** page_ref `mapcount` is page_mapcount() before v6.10, the raw _mapcount since (spec §0.1). */
  readonly traceMapcount: 'page_mapcount' | 'raw';
  /** GUP grab names (spec §0.9): before 6.10 try_grab_page/try_grab_folio(page,…); after try_grab_folio/try_grab_folio_fast. */
  readonly gupNames: 'pre-6.10' | 'post-6.10';
  /** v6.15–v6.16 mark DAX PMD/PUD entries special, so GUP-fast backs off to slow GUP (spec §0.12). */
  readonly specialHugeEntries: boolean;
  /** compound_head renamed compound_info with an optional mask encoding (7.1+, spec §0.5). */
  readonly tailMaskCapable: boolean;
  /**
   * dax_folio_put() ends in dax_folio_reset_order() for every folio, order 0 included,
   * which clears ->mapping and the index/share word ("dax: Factor out
   * dax_folio_reset_order() helper", 59eb73b98ae0b). Recorded on 7.2 and 7.3
   * (events/traces/k72-ext4-daxwork.trace.txt:283, order-0 folio, `_ret ret=0`);
   * whether 7.1 has it is not verified. Before it, order 0 left index/share stale (spec §0.3).
   */
  readonly daxFolioResetOrder: boolean;
  readonly note: string;
}

/** The version axis, oldest first. */
export const PROFILE_SPANS: readonly ProfileSpan[] = [
  { family: 'legacy', from: '6.1', to: '6.5', newest: '6.1', traceMapcount: 'page_mapcount', gupNames: 'pre-6.10', specialHugeEntries: true, tailMaskCapable: false, daxFolioResetOrder: false, note: 'pre-6.10 GUP names; page_ref mapcount is page_mapcount(); 6.1.y O_DIRECT: FOLL_GET released by folio_put_refs() (no devmap wake)' },
  { family: 'legacy', from: '6.6', to: '6.9', newest: '6.9', traceMapcount: 'page_mapcount', gupNames: 'pre-6.10', specialHugeEntries: true, tailMaskCapable: false, daxFolioResetOrder: false, note: 'page_ref mapcount is page_mapcount(); try_grab_page/try_grab_folio(page)' },
  { family: 'legacy', from: '6.10', to: '6.14', newest: '6.14', traceMapcount: 'raw', gupNames: 'post-6.10', specialHugeEntries: true, tailMaskCapable: false, daxFolioResetOrder: false, note: 'raw _mapcount in page_ref; try_grab_folio/try_grab_folio_fast' },
  { family: 'unified', from: '6.15', to: '6.16', newest: '6.16', traceMapcount: 'raw', gupNames: 'post-6.10', specialHugeEntries: true, tailMaskCapable: false, daxFolioResetOrder: false, note: 'DAX PMD/PUD marked special: GUP-fast backs off, slow GUP grabs 1 then n-1' },
  { family: 'unified', from: '6.17', to: '7.0', newest: '7.0', traceMapcount: 'raw', gupNames: 'post-6.10', specialHugeEntries: false, tailMaskCapable: false, daxFolioResetOrder: false, note: 'pXX_devmap removed; GUP-fast grabs a PMD folio in one mod_unless' },
  { family: 'unified', from: '7.1', to: null, newest: '7.2', traceMapcount: 'raw', gupNames: 'post-6.10', specialHugeEntries: false, tailMaskCapable: true, daxFolioResetOrder: true, note: 'compound_info: tails hold a mask when HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y; dax_folio_reset_order() on every disassociation (7.2 and 7.3 recorded: same functions, offsets and refcounts)' },
];

/** A resolved profile: the span, the version's own facts, and the config. */
export interface Profile extends ProfileSpan {
  /** `<family>@<version>`. */
  readonly name: string;
  readonly version: string;
  readonly kconfig: Kconfig;
  readonly tailEncoding: TailEncoding;
  /** Function names of the version (markers are matched to probes by name). */
  readonly names: KernelNames;
  /** How O_DIRECT holds and releases user pages (dio.grab, dio.release). */
  readonly dio: DioPath;
  /** O_DIRECT takes FOLL_GET references (dio.grab === 'get'). */
  readonly odirectFollGet: boolean;
  /** Where the struct page / folio words are, when a recording of the version showed it. */
  readonly layout: PageLayout | null;
  /**
   * CONFIG_TRANSPARENT_HUGEPAGE: without it no DAX fault maps a PMD or PUD
   * (dax_iomap_pmd_fault() and the device-dax huge faults fall back).
   */
  readonly thp: boolean;
  /** CONFIG_FS_DAX_PMD: FS DAX may map a PMD (needs THP). */
  readonly fsdaxPmd: boolean;
  /** Which faults on a shared (reflink) extent take fs/dax.c's sharing path (kernel-facts.ts). */
  readonly daxShare: DaxShare;
  /** CONFIG_SECRETMEM: GUP-fast checks an order-0 folio's mapping (gup_fast_folio_allowed()); absent: y. */
  readonly secretmem: boolean;
  /** mprotect() changes a huge PUD (change_huge_pud()) instead of clearing it as a bad table (kernel-facts.ts). */
  readonly changeHugePud: boolean;
}

/**
 * A distribution kernel's config (issue #3 default). CONFIG_PAGE_MAPCOUNT is in it only
 * for the kernels that have the option (hasPageMapcountOption(): 6.15 and later), see
 * defaultKconfig().
 */
export const DEFAULT_KCONFIG: Kconfig = {
  CONFIG_TRANSPARENT_HUGEPAGE: 'y',
  CONFIG_FS_DAX_PMD: 'y',
  CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: 'y',
  CONFIG_PAGE_MAPCOUNT: 'y',
};

/**
 * The distribution config of one kernel version: DEFAULT_KCONFIG without
 * CONFIG_PAGE_MAPCOUNT before 6.15, where mm/Kconfig has no such option.
 */
export function defaultKconfig(v: readonly [number, number]): Kconfig {
  if (hasPageMapcountOption(v)) return DEFAULT_KCONFIG;
  const { CONFIG_PAGE_MAPCOUNT: _absent, ...rest } = DEFAULT_KCONFIG;
  return rest;
}

/** Parses `6.12.117+deb13-amd64`, `6.1.0-56-amd64`, `7.2` into [major, minor]. */
export function parseKernelVersion(text: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function cmp(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** Error for a profile request that names no known profile. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

/**
 * Resolves `legacy`, `unified`, `legacy@6.12`, or (with `kernel`) a version to a profile.
 * A bare family takes its newest span; a version picks the span that contains it.
 */
export function resolveProfile(spec: string | undefined, opts: { kernel?: string; kconfig?: Kconfig } = {}): Profile {
  const [famText, verText] = (spec ?? '').split('@') as [string, string | undefined];
  const wanted = verText ?? opts.kernel;
  let family: Family | undefined;
  if (famText === 'legacy' || famText === 'unified') family = famText;
  else if (famText !== '') throw new ProfileError(`unknown model '${famText}': expected legacy or unified, optionally @<kernel version>`);
  let span: ProfileSpan | undefined;
  let version: string;
  if (wanted !== undefined) {
    const v = parseKernelVersion(wanted);
    if (!v) throw new ProfileError(`bad kernel version '${wanted}': expected <major>.<minor>[…]`);
    span = PROFILE_SPANS.find((s) => cmp(v, parseKernelVersion(s.from)!) >= 0 && (s.to === null || cmp(v, parseKernelVersion(s.to)!) <= 0));
    if (!span) throw new ProfileError(`no profile covers kernel ${wanted} (known: 6.1 and later)`);
    if (family && span.family !== family) throw new ProfileError(`kernel ${wanted} is a ${span.family} kernel, not ${family}`);
    version = `${v[0]}.${v[1]}`;
  } else {
    if (!family) throw new ProfileError('no model given: expected legacy or unified');
    span = [...PROFILE_SPANS].reverse().find((s) => s.family === family)!;
    version = span.newest;
  }
  const v = parseKernelVersion(version)!;
  const kconfig = { ...defaultKconfig(v), ...(opts.kconfig ?? {}) };
  const tailEncoding: TailEncoding = span.tailMaskCapable && kconfig.CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP === 'y' ? 'mask' : 'head';
  const dio = dioPath(v);
  const thp = kconfig['CONFIG_TRANSPARENT_HUGEPAGE'] !== 'n';
  return {
    ...span, name: `${span.family}@${version}`, version, kconfig, tailEncoding, names: kernelNames(v), dio, odirectFollGet: dio.grab === 'get',
    layout: pageLayout(v, kconfig), thp, fsdaxPmd: thp && kconfig['CONFIG_FS_DAX_PMD'] !== 'n', secretmem: kconfig['CONFIG_SECRETMEM'] !== 'n',
    daxShare: daxShare(v),
    changeHugePud: changeHugePud(v),
  };
}

/** Parses `KEY=VAL,KEY2=VAL` or a kernel .config text into a Kconfig. */
export function parseKconfig(text: string): Kconfig {
  const out: Record<string, string> = {};
  for (const raw of text.split(/[,\n]/)) {
    const line = raw.trim();
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (unset) {
      out[unset[1]!] = 'n';
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ProfileError(`bad kconfig entry '${line}': expected CONFIG_NAME=value`);
    const key = line.slice(0, eq).trim();
    out[key.startsWith('CONFIG_') ? key : `CONFIG_${key}`] = line.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/**
 * What a profile makes of the recording kernel, in one line per fact, for reports:
 * the tail encoding the config selects, what page_ref prints as mapcount, how
 * O_DIRECT holds pages, and whose struct page layout fields are read by.
 */
export function describeProfile(p: Profile): string[] {
  const tail = p.tailEncoding === 'mask' ? 'a mask (compound_info, CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y)' : 'head | 1';
  return [
    `tail word 1: ${tail}; page_ref mapcount: ${p.traceMapcount === 'raw' ? 'raw _mapcount' : 'page_mapcount()'}; DAX PMD/PUD faults: ${p.thp ? (p.fsdaxPmd ? 'yes' : 'device-dax only') : 'none (no THP)'}`,
    `O_DIRECT: ${p.dio.note}`,
    `struct page layout: ${p.layout ? `${p.layout.name} (order +${p.layout.order}, entire mapcount +${p.layout.entire}, _pincount +${p.layout.pincount})` : 'not recorded for this version: fields read by name'}`,
  ];
}
