/**
 * Input (a): a page_ref ftrace text in the format of
 * events/traces/k72dbg-ext4-daxwork.trace.txt (KTRACE header with `# pmem:`, tracefs
 * event lines, KTRACE-END), with `events` page_ref events over `pfns` pfns of one
 * pmem range. Counts are consistent (every event's count − val is the count before
 * it), so a replay reports no untraced change; a tracing_mark_write line every 4096
 * events gives the replay non-page_ref lines to skip.
 */
import { prng } from './prng.ts';
import { TextSink } from './write-text.ts';

/** What to generate. */
export interface TraceSpec {
  readonly events: number;
  readonly pfns: number;
  readonly seed: number;
  /** Recording kernel: 7.2.13 (unified, FS DAX idle 0) or 6.12.x (legacy, idle 1). */
  readonly kernel: string;
  /** Size of the header's `# pmem:` range in pfns (≥ pfns; default pfns): the pgmap size axis. */
  readonly pmemPfns?: number;
}

/** First pfn of the pmem range (1 GiB, as in the recorded traces). */
export const TRACE_BASE_PFN = 0x40000;
const MAPPING = '0000000062079d63';

/** Writes the trace; returns the number of lines. */
export async function generateTrace(path: string, spec: TraceSpec): Promise<number> {
  const rnd = prng(spec.seed);
  const legacy = spec.kernel.startsWith('6.');
  const idle = legacy ? 1 : 0;
  const counts = new Int32Array(spec.pfns).fill(idle);
  const out = new TextSink(path);
  const endByte = (TRACE_BASE_PFN + Math.max(spec.pfns, spec.pmemPfns ?? 0)) * 4096 - 1;
  const header = [
    `KTRACE-BEGIN kernel=${spec.kernel} fs=ext4 work=bench`,
    // CONFIG_PAGE_MAPCOUNT only where mm/Kconfig has it (6.15 and later): not on a 6.12 kernel
    `# kconfig: CONFIG_TRANSPARENT_HUGEPAGE=y CONFIG_FS_DAX_PMD=y CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=n${legacy ? '' : ' CONFIG_PAGE_MAPCOUNT=y'} CONFIG_DEBUG_PAGE_REF=y`,
    '# cmdline: console=ttyS0 nokaslr no5lvl memmap=1G!1G panic=-1 oops=panic quiet loglevel=4',
    `# pmem: ${(TRACE_BASE_PFN * 4096).toString(16)}-${endByte.toString(16)} : Persistent Memory (legacy);`,
    '# tracer: nop',
    '#',
    `# entries-in-buffer/entries-written: ${spec.events}/${spec.events}   #P:2`,
    '#',
    '#                                _-----=> irqs-off/BH-disabled',
    '#                               / _----=> need-resched',
    '#                              | / _---=> hardirq/softirq',
    '#                              || / _--=> preempt-depth',
    '#                              ||| / _-=> migrate-disable',
    '#                              |||| /     delay',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |   |||||     |         |',
  ];
  for (const h of header) await out.line(h);
  let lines = header.length;
  let us = 4_000_000;
  let written = 0;
  const emit = async (op: string, pfn: number, count: number, val: number, ret: number | null): Promise<void> => {
    if (written >= spec.events) return; // exactly `events` events: the last episode may be cut
    us += 1 + rnd.int(3);
    const ts = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
    const cpu = (pfn & 1) === 0 ? '000' : '001';
    const flags = (pfn & 511) === 0 ? 'reserved|head' : 'reserved';
    const tail = ret === null ? '' : ` ret=${ret}`;
    await out.line(`         daxwork-319     [${cpu}] .....  ${ts.padStart(11)}: page_ref_${op}: pfn=0x${(TRACE_BASE_PFN + pfn).toString(16)} flags=${flags} count=${count} mapcount=${count > idle ? 0 : -1} mapping=${MAPPING} mt=1 val=${val}${tail}`);
    lines++;
    written++;
    if (written % 4096 === 0) {
      await out.line(`         daxwork-319     [000] ...1.  ${ts.padStart(11)}: tracing_mark_write: PHASE step${written / 4096}`);
      lines++;
    }
  };
  while (written < spec.events) {
    const pfn = rnd.int(spec.pfns);
    const r = counts[pfn]!;
    const k = rnd.next();
    // episodes as the recorded traces show them (spec §9.1): a fault's inc, map ref and put;
    // unmap; GUP-fast get; put through the devmap hook; pin/unpin by 1024; set; freeze/unfreeze
    if (k < 0.3 || r <= idle) {
      await emit('mod', pfn, r + 1, 1, null);
      await emit('mod', pfn, r + 2, 1, null);
      await emit('mod_and_test', pfn, r + 1, -1, r + 1 === 0 ? 1 : 0);
      counts[pfn] = r + 1;
    } else if (k < 0.55) {
      await emit('mod_and_test', pfn, r - 1, -1, r - 1 === 0 ? 1 : 0);
      counts[pfn] = r - 1;
    } else if (k < 0.7) {
      await emit('mod_unless', pfn, r + 1, 1, 1);
      await emit('mod_and_return', pfn, r, -1, r);
    } else if (k < 0.85) {
      await emit('mod', pfn, r + 1024, 1024, null);
      await emit('mod_and_test', pfn, r, -1024, r === 0 ? 1 : 0);
    } else if (k < 0.9) {
      // folio_try_get(): fails on a free page (unified idle 0), else a get and its put
      if (r === 0) await emit('mod_unless', pfn, 0, 1, 0);
      else {
        await emit('mod_unless', pfn, r + 1, 1, 1);
        await emit('mod_and_test', pfn, r, -1, 0);
      }
    } else if (k < 0.95) {
      await emit('freeze', pfn, 0, r, 1);
      await emit('unfreeze', pfn, r, r, null);
    } else {
      await emit('set', pfn, r, r, null);
    }
  }
  await out.line('KTRACE-END');
  await out.close();
  return lines + 1;
}
