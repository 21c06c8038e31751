/**
 * What the command line gives in place of a header: `--pmem START-END[:fsdax|devdax]`
 * (a physical byte range, as /proc/iomem prints it, `0x` optional) and `--probes FILE`
 * (a kprobe_events file, one definition a line). Pure: text in, values or positioned
 * messages out.
 */
import { PAGE_SHIFT, PMD_ORDER, PUD_ORDER } from '../kernel/constants.ts';
import type { DeviceRange } from '../lift/world.ts';
import { parseProbeDefinition, type ProbeDefinition } from '../trace/probe-definition.ts';

/** A bad --pmem or --probes value. */
export class InputOptionError extends Error {
  override readonly name = 'InputOptionError';
}

const PMEM = /^(?:0x)?([0-9a-f]+)-(?:0x)?([0-9a-f]+)(?::(fsdax|devdax)(?:@(4k|2m|1g))?)?$/i;
const ALIGN_ORDER: Readonly<Record<string, number>> = { '4k': 0, '2m': PMD_ORDER, '1g': PUD_ORDER };

/**
 * One `--pmem` value as a pgmap. A device-dax range is made of compound pages of its
 * instance's `align` (`devdax@1G`; default 2 MiB, ndctl's default): pgmap->vmemmap_shift.
 */
export function parsePmem(text: string, index: number): DeviceRange {
  const m = PMEM.exec(text.trim());
  if (m === null) throw new InputOptionError(`--pmem ${text}: expected START-END[:fsdax|devdax[@4K|2M|1G]], physical byte addresses in hex (40000000-5fffffff:fsdax)`);
  const start = BigInt(`0x${m[1]}`);
  const end = BigInt(`0x${m[2]}`);
  if (end <= start) throw new InputOptionError(`--pmem ${text}: END must be above START`);
  const page = BigInt(2 ** PAGE_SHIFT);
  if (start % page !== 0n || (end + 1n) % page !== 0n) throw new InputOptionError(`--pmem ${text}: START and END+1 must be page-aligned (END is the last byte, as /proc/iomem prints it)`);
  const pfn = Number(start / page);
  const nr = Number((end + 1n - start) / page);
  const type = m[3]?.toLowerCase() === 'devdax' ? 'generic' : 'fsdax';
  const shift = type === 'generic' ? (ALIGN_ORDER[(m[4] ?? '2m').toLowerCase()] ?? PMD_ORDER) : 0;
  if (shift > 0 && (pfn % 2 ** shift !== 0 || nr % 2 ** shift !== 0)) throw new InputOptionError(`--pmem ${text}: a device-dax range must be a whole number of ${m[4] ?? '2M'} units`);
  return { pgmap: type === 'generic' ? `dax${index}.0` : `pmem${index}`, type, pfn, nr, vmemmapShift: shift };
}

/** The definitions of a kprobe_events file (blank lines and `#` comments skipped). */
export function parseProbesFile(text: string, file: string): ProbeDefinition[] {
  const out: ProbeDefinition[] = [];
  text.split('\n').forEach((raw, i) => {
    // a `# kprobe_events:` block pasted from a header: `#   p:…`
    const line = raw.replace(/^#\s+(?=[prfte]\d*:)/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const r = parseProbeDefinition(line);
    if (!r.ok) throw new InputOptionError(`${file}:${i + 1}:${r.offset + 1} ${r.message}`);
    out.push(r.probe);
  });
  return out;
}
