/**
 * Which Op kinds a recording can see at all, from its header (the kprobes that
 * attached, the tracepoints its filters or trace-cmd command line name,
 * CONFIG_DEBUG_PAGE_REF) and from the event systems that actually appear. A
 * page_ref build sees every refcount change; a stock trace only what its probes see:
 * a legacy kernel traces nothing when it zaps a devmap PTE, and a unified stock trace
 * sees a put that does not free the folio only if a probe sits on its path.
 */
import type { TraceHeader } from '../trace/header-types.ts';
import { OP_KINDS, type Observability, type OpKind, type Visibility } from './types.ts';
import { PIPE_RELEASE } from './put-builder.ts';

/** Functions whose attached probe makes a kind visible. */
const SEEN_BY: Readonly<Partial<Record<OpKind, readonly string[]>>> = {
  'munmap:pte': ['folio_remove_rmap_ptes', 'page_remove_rmap', 'zap_pte_range', 'zap_present_ptes'],
  'munmap:pmd': ['zap_huge_pmd', 'folio_remove_rmap_pmd'],
  'munmap:pud': ['zap_huge_pud', 'folio_remove_rmap_pud'],
  'dio.release': ['__bio_release_pages'],
  'cow': ['do_wp_page'],
  'fork': ['copy_page_range', 'dup_mmap'],
  'gup.get': ['try_grab_folio', 'try_grab_folio_fast', 'try_grab_page'],
  'gup.pin': ['try_grab_folio', 'try_grab_folio_fast', 'try_grab_page'],
  'unpin': ['unpin_user_pages', 'unpin_user_page', 'unpin_user_folio', 'unpin_user_pages_dirty_lock', 'gup_put_folio'],
  'fs.break_layout': ['ext4_break_layouts', 'xfs_break_dax_layouts', 'dax_break_layout', 'dax_layout_busy_page_range'],
  'fs.truncate': ['dax_delete_mapping_entry', 'dax_delete_mapping_range'],
  'fs.evict': ['dax_break_layout_final'],
};
/** The device-dax fault handlers (a device fault prints no fs_dax event). */
const DEVDAX_FAULT = ['dev_dax_huge_fault', 'dev_dax_fault'];
/** Kinds whose whole effect is a refcount change (seen in full by page_ref events). */
const COUNTED: ReadonlySet<OpKind> = new Set(['gup.get', 'gup.pin', 'unpin']);
/** A put is seen wherever it goes: the legacy devmap hook, or (unified) only when it frees. */
const PUT_FULL = ['__put_devmap_managed_folio_refs', '__put_devmap_managed_page_refs'];
const PUT_AT_ZERO = ['__folio_put', 'free_zone_device_folio', ...PIPE_RELEASE];

/** The event systems a trace is known to carry, and the pgmap types its header registers. */
export interface SeenSystems {
  readonly fsDax: boolean;
  readonly pageRef: boolean;
  /** An FS DAX namespace is in the trace (`# pmem:` outside any device-dax instance). */
  readonly hasFsdax?: boolean;
  /** A device-dax instance is (`# dax0.0:`). */
  readonly hasDevdax?: boolean;
}

/** The tracepoint systems the header says were enabled (filters, trace-cmd `-e`, kconfig). */
export function headerSystems(header: TraceHeader): SeenSystems {
  const record = header.traceCmd?.record ?? '';
  const filtered = (s: string): boolean => header.filters.some((f) => f.event === s || f.event.startsWith(`${s}_`) || f.event.startsWith(`${s}:`));
  return {
    fsDax: /-e\s+fs_dax\b/.test(record) || filtered('fs_dax') || filtered('dax_pte_fault'),
    pageRef: header.kconfig['CONFIG_DEBUG_PAGE_REF'] === 'y' && (/-e\s+page_ref\b/.test(record) || filtered('page_ref') || record === ''),
  };
}

/**
 * A legacy kernel (before v6.15) zaps a devmap PTE without calling any rmap function
 * (vm_normal_page() is NULL for it) and without touching a count, so only a probe on the
 * zap itself sees it (spec §5.2).
 */
const LEGACY_PTE_ZAP = ['zap_pte_range', 'zap_present_ptes', 'unmap_page_range'];

/** The observability of a trace: header facts plus the systems seen in its events. */
export function observability(header: TraceHeader, seen: SeenSystems): Observability {
  const r = header.release;
  const legacy = r !== null && (r.major < 6 || (r.major === 6 && r.minor < 15));
  const attached = new Set<string>();
  const statusKnown = header.attachStatus.length > 0;
  for (const s of header.attachStatus) if (s.ok && s.probe?.symbol) attached.add(s.probe.symbol);
  if (!statusKnown) for (const p of header.probes) if (p.symbol) attached.add(p.symbol);
  const any = (fns: readonly string[]): boolean => fns.some((f) => attached.has(f));
  const fsDax = seen.fsDax;
  const pageRef = seen.pageRef;
  const kinds = {} as Record<OpKind, Visibility>;
  const reasons: Partial<Record<OpKind, string>> = {};
  for (const k of OP_KINDS) {
    let v: Visibility;
    let why = '';
    switch (k) {
      case 'pgmap.register':
        v = 'full'; // synthesised from the header
        break;
      case 'dax.fault': {
        // FS DAX faults show as fs_dax events, device-dax faults only through their handler's probe
        const fs = !(seen.hasFsdax ?? true) || fsDax;
        const dev = !(seen.hasDevdax ?? false) || any(DEVDAX_FAULT);
        v = fs && dev ? 'full' : fsDax || any(DEVDAX_FAULT) ? 'partial' : 'none';
        why = !fs ? 'no fs_dax fault events' : 'no probe on dev_dax_huge_fault()';
        break;
      }
      case 'dax.hole_read':
      case 'dax.mkwrite':
        // FS DAX only: a device-dax trace has nothing of the kind to miss
        v = fsDax || !(seen.hasFsdax ?? true) ? 'full' : 'none';
        why = 'no fs_dax fault events';
        break;
      case 'put':
        // the legacy devmap hook runs for FS DAX only: a device-dax put is not on its path
        v = pageRef ? 'full' : any(PUT_FULL) ? (legacy && (seen.hasDevdax ?? false) ? 'partial' : 'full') : any(PUT_AT_ZERO) ? 'partial' : 'none';
        why = v === 'partial' && any(PUT_FULL) ? 'a device-dax put takes no devmap hook (put_page() → folio_put()), so no probe sees one that does not free' : v === 'partial' ? `only a put that frees the folio (__folio_put/free_zone_device_folio)${attached.has('page_cache_pipe_buf_release') ? ' or a vmsplice()d page\'s pipe buffer release (page_cache_pipe_buf_release)' : ''} is probed` : 'no probe on a put path';
        break;
      case 'munmap:pud':
        // FS DAX never maps a PUD (spec §4): only a device-dax trace can miss one
        v = !(seen.hasDevdax ?? false) || any(SEEN_BY['munmap:pud'] ?? []) || (pageRef && !legacy) ? 'full' : 'none';
        why = 'no probe on zap_huge_pud/folio_remove_rmap_pud';
        break;
      case 'dio.grab':
        // an O_DIRECT grab is told from any other GUP only by the bio release of its pages
        v = any(SEEN_BY['dio.release'] ?? []) && (any(SEEN_BY['gup.get'] ?? []) || pageRef) ? 'full' : 'none';
        why = 'no probe on __bio_release_pages() or on the grabs';
        break;
      case 'exit':
        // exit_mmap() shows only through its zaps, lifted as munmap
        v = kinds['munmap:pte'] === 'full' && kinds['munmap:pmd'] === 'full' && kinds['munmap:pud'] === 'full' ? 'full' : 'none';
        why = 'exit_mmap() is seen only through the zaps it makes (munmap:pte, munmap:pmd, munmap:pud)';
        break;
      default: {
        const fns = k === 'munmap:pte' && legacy ? LEGACY_PTE_ZAP : (SEEN_BY[k] ?? []);
        // page_ref events show every refcount change, so every get, pin and unpin
        v = any(fns) || (pageRef && COUNTED.has(k)) ? 'full' : 'none';
        // page_ref shows a unified zap's reference drop, but a legacy devmap zap changes no count
        if (v === 'none' && pageRef && !legacy && (k === 'munmap:pte' || k === 'munmap:pmd')) v = 'partial';
        why = `no probe on ${fns.join('/') || 'its path'}`;
      }
    }
    kinds[k] = v;
    if (v !== 'full') reasons[k] = why;
  }
  return { kinds, reasons };
}

/**
 * True when the header defines kprobes (its `# kprobe_events:` block or the attach
 * status's probes): only then are a trace's records lifted to Ops; without any, check
 * replays its page_ref events as RefEvents.
 */
export function hasProbeDefinitions(header: TraceHeader, extra = 0): boolean {
  return header.probes.length + header.attachStatus.filter((s) => s.probe !== null).length + extra > 0;
}

/** The kinds a trace cannot see in full, in report order. */
export function unobservable(o: Observability): OpKind[] {
  return OP_KINDS.filter((k) => o.kinds[k] !== 'full');
}
