/**
 * Reading trace records the way the lifter needs them: which kernel function a probe
 * sits on (its definition's symbol, not the event name a recording chose), which task
 * and mm an event belongs to, and the pfn behind a `struct page *` / `struct folio *`
 * argument (page_to_pfn() through the vmemmap base).
 */
import { pageAddrToPfn } from '../trace/address.ts';
import { probeBigint } from '../trace/record-fields.ts';
import type { ProbeDefinition } from '../trace/probe-definition.ts';
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';

/** The kernel function a kprobe/kretprobe event was recorded at (`__folio_put` for event `folio_put`). */
export function probeFunction(r: KprobeRecord): string {
  return r.probe?.symbol ?? r.event.replace(/_ret$/, '');
}

/** True for a kretprobe event (the value after the function ran). */
export function isReturnProbe(r: KprobeRecord): boolean {
  return r.probeKind === 'return';
}

/**
 * The context a record runs in: its task, except for the idle task (pid 0), whose
 * events are interrupt handlers (a bio completion) and are told apart by CPU.
 */
export function contextKey(r: TraceRecord): string {
  return r.pid === 0 ? `irq@${r.cpu}` : `pid:${r.pid}`;
}

/**
 * True for an event in hard or soft interrupt context by its latency flags (`..h1.`,
 * `..s1.`; `Z`/`z` NMI, `H` hard interrupt in a soft one): it ran on the task's CPU while
 * the task was interrupted, not in the task's own code. False when the layout prints no
 * flags (trace-cmd).
 */
export function inInterrupt(r: TraceRecord): boolean {
  const c = r.irqFlags?.[2];
  return c === 'h' || c === 'H' || c === 's' || c === 'z' || c === 'Z';
}

/** The mm an event's task runs in: its thread group when the trace shows it, else its pid. */
export function mmKey(r: TraceRecord): string {
  return `mm:${r.tgid ?? r.pid}`;
}

/** The pfn of the struct page a pointer field holds, or null (NULL, not in the vmemmap, absent). */
export function pfnField(r: KprobeRecord, name: string, vmemmapBase: bigint): number | null {
  const v = probeBigint(r, name);
  if (v === null || v === 0n) return null;
  return pageAddrToPfn(v, vmemmapBase);
}

/** The first of `names` that holds a struct page pointer, as a pfn. */
export function firstPagePfn(r: KprobeRecord, names: readonly string[], vmemmapBase: bigint): number | null {
  for (const n of names) {
    const pfn = pfnField(r, n, vmemmapBase);
    if (pfn !== null) return pfn;
  }
  return null;
}

/** The page (or folio) a page/folio probe names: `folio=`, `page=`, `page0=`. */
export function probePage(r: KprobeRecord, vmemmapBase: bigint): number | null {
  return firstPagePfn(r, ['folio', 'page', 'page0'], vmemmapBase);
}

const SNAP_FIELD = /^(r|m|o|e|p|w1)_([0-9a-f]+)$/i;

/**
 * True for a snapshot probe: a kprobe whose arguments read fixed struct page words
 * (`r_<pfn>=@0xffffea…:s32`), however it is named or where it is attached.
 */
export function isSnapProbe(r: TraceRecord): boolean {
  if (r.kind !== 'kprobe' || r.probe === null) return false;
  return isSnapDefinition(r.probe);
}

/** True for the definition of a snapshot probe (see {@link isSnapProbe}). */
export function isSnapDefinition(p: ProbeDefinition): boolean {
  return p.args.some((a) => SNAP_FIELD.test(a.name) && a.fetch.startsWith('@'));
}

/** The snap fields of a record: prefix (`r`, `m`, `o`, `e`, `p`, `w1`), pfn, the address read and the value. */
export function snapFields(r: KprobeRecord): { readonly name: string; readonly prefix: string; readonly pfn: number; readonly address: bigint | null; readonly value: number | bigint | null }[] {
  const out: { name: string; prefix: string; pfn: number; address: bigint | null; value: number | bigint | null }[] = [];
  for (const a of r.probe?.args ?? []) {
    const m = SNAP_FIELD.exec(a.name);
    if (!m || !a.fetch.startsWith('@')) continue;
    const v = r.fields[a.name];
    const at = /^@(0x[0-9a-f]+)$/i.exec(a.fetch);
    out.push({
      name: a.name, prefix: (m[1] ?? '').toLowerCase(), pfn: Number.parseInt(m[2] ?? '', 16), address: at ? BigInt(at[1]!) : null,
      value: typeof v === 'number' || typeof v === 'bigint' ? v : null,
    });
  }
  return out;
}

/** The marker text a snap line reads (its `txt=` string field), if any. */
export function snapText(r: KprobeRecord): string | null {
  for (const a of r.probe?.args ?? []) {
    const v = r.fields[a.name];
    if (typeof v === 'string' && a.type.base.endsWith('string')) return v;
  }
  return null;
}
