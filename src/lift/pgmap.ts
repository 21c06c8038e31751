/**
 * The pgmap registrations a trace does not show (memremap_pages() runs at boot or at
 * namespace probe, long before recording), synthesised from the header: a device-dax
 * instance (`# dax0.0: align=… resource=… size=…`) is a MEMORY_DEVICE_GENERIC pgmap of
 * compound pages of its alignment; a `# pmem:` range with no device-dax instance in
 * it is an fsdax namespace (MEMORY_DEVICE_FS_DAX) of order-0 pages. A header with
 * neither falls back to the pmem range its event filters name.
 */
import { DEFAULT_VMEMMAP_BASE, PAGE_SHIFT } from '../kernel/constants.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import type { DeviceRange } from './world.ts';

const PAGE = BigInt(PAGE_SHIFT);

function parseBig(text: string | undefined): bigint | null {
  if (text === undefined) return null;
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t) || /^\d+$/.test(t)) return BigInt(t);
  return null;
}

/** The device ranges of a header, in pfn order. */
export function deviceRanges(header: TraceHeader, vmemmapBase: bigint = DEFAULT_VMEMMAP_BASE): DeviceRange[] {
  const out: DeviceRange[] = [];
  for (const d of header.daxDevices) {
    const resource = parseBig(d.settings['resource']);
    const size = parseBig(d.settings['size']);
    if (resource === null || size === null || size === 0n) continue;
    const align = parseBig(d.settings['align']) ?? 1n << PAGE;
    // pgmap->vmemmap_shift = order_base_2(align >> PAGE_SHIFT) when align > PAGE_SIZE
    const pages = align >> PAGE;
    const shift = pages > 1n ? pages.toString(2).length - 1 : 0;
    out.push({ pgmap: d.device, type: 'generic', pfn: Number(resource >> PAGE), nr: Number(size >> PAGE), vmemmapShift: shift });
  }
  let n = 0;
  for (const r of header.pmem) {
    const pfn = Number(r.start >> PAGE);
    const nr = Number((r.end + 1n - r.start) >> PAGE);
    if (nr <= 0) continue;
    const overlapsDevdax = out.some((d) => d.type === 'generic' && d.pfn < pfn + nr && pfn < d.pfn + d.nr);
    if (overlapsDevdax) continue;
    out.push({ pgmap: `pmem${n++}`, type: 'fsdax', pfn, nr, vmemmapShift: 0 });
  }
  if (out.length === 0) {
    const r = filteredRange(header, vmemmapBase);
    if (r !== null) out.push({ pgmap: 'pmem0', type: 'fsdax', pfn: r.pfn, nr: r.nr, vmemmapShift: 0 });
  }
  return out.sort((a, b) => a.pfn - b.pfn);
}

const PFN_FILTER = /\bpfn\s*>=\s*(0x[0-9a-f]+)\s*&&\s*pfn\s*<\s*(0x[0-9a-f]+)/i;
const PAGE_FILTER = /\b\w+\s*>=\s*(0xffff[0-9a-f]+)\s*&&\s*\w+\s*<\s*(0xffff[0-9a-f]+)/i;

/**
 * Without a `# pmem:` line, the device range the recording filtered its events to:
 * a page_ref `pfn >= A && pfn < B` filter, or a struct page pointer range
 * (`folio >= 0xffffea0001000000 && folio < 0xffffea0001800000`), from `# filters:`
 * or trace-cmd's `# record:` command line.
 */
function filteredRange(header: TraceHeader, vmemmapBase: bigint): { pfn: number; nr: number } | null {
  const texts = [...header.filters.map((f) => f.filter ?? ''), header.traceCmd?.record ?? ''];
  for (const t of texts) {
    const m = PFN_FILTER.exec(t);
    if (m) return { pfn: Number(m[1]), nr: Number(m[2]) - Number(m[1]) };
  }
  for (const t of texts) {
    const m = PAGE_FILTER.exec(t);
    if (!m) continue;
    const lo = BigInt(m[1] ?? '0');
    const hi = BigInt(m[2] ?? '0');
    if (lo < vmemmapBase || hi <= lo) continue;
    return { pfn: Number((lo - vmemmapBase) / 64n), nr: Number((hi - lo) / 64n) };
  }
  return null;
}
