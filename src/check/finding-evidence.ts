/**
 * The evidence a recorded trace holds for a finding, for a reader who checks it line by
 * line: the lines that show it (quoted), what is inferred from the model and not seen
 * (and which later observation confirms it, such as the next snap), the probes that
 * were attached and stayed silent where silence is the evidence, the time that passed,
 * and how the run ended. Pure: the caller reads the trace.
 *
 * Written for missed-wakeup (spec §1.5, S9; docs/findings.md), the finding whose proof
 * is an absence: a put brings a page to the value a layout breaker waits for, and no
 * wake_up_var() follows.
 */
import type { Op } from '../events/op.ts';
import { opWords } from '../diff/op-words.ts';
import { pageAddrToPfn } from '../trace/address.ts';
import type { TraceHeader } from '../trace/header-types.ts';
import type { TraceRecord } from '../trace/record-types.ts';
import type { FindingJson } from '../report/replay-json.ts';

/** What the evidence is built from. */
export interface EvidenceInput {
  readonly header: TraceHeader;
  /** Every record of the trace, in line order. */
  readonly records: readonly TraceRecord[];
  /** The lifted Ops, by seq. */
  readonly ops: ReadonlyMap<number, Op>;
  /** The text of a trace line. */
  readonly lineText: (line: number) => string | undefined;
  /** What the profile says about the put path (describeProfile's O_DIRECT line). */
  readonly putPath?: string;
  /** The profile's name (legacy@6.1). */
  readonly profile?: string;
  readonly vmemmapBase?: bigint;
}

/** One paragraph of evidence: prose, or a quoted trace line (never wrapped). */
export type EvidenceLine = { readonly text: string } | { readonly line: number; readonly quote: string };

/**
 * The functions whose silence after a put shows that nobody was woken: wake_up_var()
 * itself and the legacy devmap put hook that calls it at refcount 1.
 */
export const WAKE_PATH = ['wake_up_var', '__put_devmap_managed_page_refs', '__put_devmap_managed_folio_refs'];

function quote(input: EvidenceInput, line: number): EvidenceLine[] {
  const t = input.lineText(line);
  return t === undefined ? [] : [{ line, quote: t.trim() }];
}

/** A kprobe record's page pointer fields (page=, folio=, var=) that resolve to `pfn`. */
export function namesPfn(r: TraceRecord, pfn: number, base: bigint | undefined): boolean {
  if (r.kind !== 'kprobe') return false;
  for (const v of Object.values(r.fields)) {
    if (typeof v !== 'bigint') continue;
    if (pageAddrToPfn(v, base) === pfn) return true;
  }
  return false;
}

/** An Op that takes a reference on `pfn` (the grab a missed wakeup's evidence starts from). */
export function takesReference(o: Op, pfn: number): boolean {
  return (o.type === 'dio.grab' || o.type === 'gup.get' || o.type === 'gup.pin') && pfn >= o.pfn && pfn < o.pfn + o.nr;
}

/** The seq of the waiter Op a missed-wakeup message names (`Op #N`). */
export function waiterSeqOf(f: FindingJson): number | undefined {
  const m = /Op #(\d+)/.exec(f.message ?? '')?.[1];
  return m === undefined ? undefined : Number(m);
}

/** The evidence of a missed-wakeup finding, or null when the trace cannot place it. */
export function missedWakeupEvidence(f: FindingJson, input: EvidenceInput): EvidenceLine[] | null {
  const put = input.ops.get(f.seq);
  if (put?.line === undefined || f.pfn === null) return null;
  const pfn = Number(f.pfn);
  const putLine = put.line;
  const until = /to refcount (\d+)/.exec(f.message)?.[1] ?? '?';
  const waiterSeq = waiterSeqOf(f);
  const waiter = waiterSeq === undefined ? undefined : input.ops.get(waiterSeq);
  const out: EvidenceLine[] = [];
  const base = input.vmemmapBase;
  const grab = [...input.ops.values()].filter((o) => o.seq < put.seq && takesReference(o, pfn)).pop();
  const from = grab?.line ?? waiter?.line ?? put.line;
  const waiterRec = waiter?.line === undefined ? undefined : input.records.find((r) => r.line === waiter.line);
  if (grab?.line !== undefined) out.push({ text: `Observed: the ${opWords(grab)} takes the reference at line ${grab.line}.` });
  for (const r of input.records) {
    if (r.line < from || r.line >= put.line) continue;
    if (r.line === waiter?.line) {
      out.push({ text: `The ${opWords(waiter)} enters the layout break at line ${waiter.line}:` });
      out.push(...quote(input, r.line));
    } else if (namesPfn(r, pfn, base)) out.push(...quote(input, r.line));
  }
  const putRec = input.records.find((r) => r.line === putLine);
  // the irq-flags column: `h` = in hard-interrupt context
  const where = putRec?.irqFlags?.includes('h') ? ', in hard-interrupt context' : putRec ? `, in ${putRec.task}-${putRec.pid}` : '';
  out.push({ text: `The ${opWords(put)} releases the reference at line ${putLine}${where}:` });
  out.push(...quote(input, putLine));

  // what the line itself does not show
  const probed = new Set(input.header.attachStatus.filter((s) => s.ok && s.probe?.symbol).map((s) => s.probe!.symbol!));
  const fnProbed = probed.has(f.function);
  out.push({
    text: `Inferred from the model, not seen in the trace: that line ${putLine} drops the reference with ${f.function}(), which does not call wake_up_var()${input.profile ? ` (${input.profile}: ${input.putPath ?? ''})` : ''}${fnProbed ? '' : `; no probe is attached to ${f.function}`}; and that the page's refcount is then ${until}: line ${putLine} prints no count.`,
  });
  const snap = input.records.find((r) => r.line > putLine && r.kind === 'kprobe' && r.fields[`r_${pfn.toString(16)}`] !== undefined);
  if (snap?.kind === 'kprobe') {
    const v = snap.fields[`r_${pfn.toString(16)}`];
    out.push({ text: `Observed later: the next snap, line ${snap.line}, reads r_${pfn.toString(16)}=${String(v)}, the refcount the waiter waits for.` });
  }

  // the silence: attached probes on the wake path that record nothing after the put
  const after = input.records.filter((r) => r.line > putLine);
  const fired = new Set(after.map((r) => (r.kind === 'kprobe' ? r.probe?.symbol : undefined)));
  const bySymbol = new Map<string, { names: string[]; lines: number[] }>();
  for (const st of input.header.attachStatus) {
    const sym = st.probe?.symbol;
    if (!st.ok || !sym || !WAKE_PATH.includes(sym) || fired.has(sym)) continue;
    const e = bySymbol.get(sym) ?? bySymbol.set(sym, { names: [], lines: [] }).get(sym)!;
    e.names.push(st.probe.name);
    e.lines.push(st.line);
  }
  if (bySymbol.size) {
    const names = [...bySymbol].map(([sym, e]) => `${sym} (probe${e.names.length > 1 ? 's' : ''} ${e.names.join(' and ')}, attach status line${e.lines.length > 1 ? 's' : ''} ${e.lines.join(', ')})`);
    out.push({ text: `Silent: ${names.join(' and ')} ${bySymbol.size === 1 ? 'is' : 'are'} attached and never fire${bySymbol.size === 1 ? 's' : ''} after line ${putLine}.` });
  }
  const next = after[0];
  if (next && putRec) {
    const gap = next.ts - putRec.ts;
    const same = waiterRec !== undefined && next.pid === waiterRec.pid ? `, the waiting task (${next.task}-${next.pid}) scanning again` : '';
    out.push({ text: `Nothing is recorded for ${gap.toFixed(2)} s after line ${putLine} (${putRec.tsText} → ${next.tsText}); the next event is line ${next.line}${same}:` });
    out.push(...quote(input, next.line));
  }
  const result = [...input.records].reverse().find((r) => r.kind === 'marker' && /^RESULT\b/.test(r.text));
  if (result?.kind === 'marker') {
    out.push({ text: `The run ends with the workload's verdict at line ${result.line}:` });
    out.push(...quote(input, result.line));
  }
  return out;
}

/** Evidence per finding (by index in the outcome's findings), where the trace holds some. */
export function findingEvidence(findings: readonly FindingJson[], input: EvidenceInput): Map<number, EvidenceLine[]> {
  const out = new Map<number, EvidenceLine[]>();
  findings.forEach((f, i) => {
    if (f.code !== 'missed-wakeup') return;
    const e = missedWakeupEvidence(f, input);
    if (e) out.set(i, e);
  });
  return out;
}
