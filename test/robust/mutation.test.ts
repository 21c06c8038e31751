/**
 * Mutation test over the shipped traces: every mutation of a value `check` compares
 * (a kprobe's ref=/pref=/ref0=/mapcount=, a snap's r_/m_, a page_ref event's count and
 * mapcount) changes check's verdict or its output: nothing is silently accepted; and
 * scheduler, IRQ and softirq lines inserted anywhere change nothing but line numbers.
 * Occurrences, values and insertions are drawn by fast-check (pinned seed and numRuns).
 */
import fc from 'fast-check';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process.ts';
import { root, scratch } from './helpers.ts';

const SEED = 0x15_0002;
const dir = scratch('dax-refsim-mutation-');
const TRACE_DIR = join(root, 'events/traces');
const TRACES = readdirSync(TRACE_DIR).filter((f) => f.endsWith('.trace.txt')).sort();

/** Snap fields (always of the pages the recording watched): `r_<pfn>=`, `m_<pfn>=`. */
const SNAP = /(?<= )([rm]_[0-9a-f]+)=(-?\d+)(?= |$)/g;
/** Probe and page_ref fields check compares on a simulated (ZONE_DEVICE) page. */
const PAGE_FIELDS = /(?<= )(ref|pref|ref0|mapcount|count)=(-?\d+)(?= |$)/g;
/** The struct page a kprobe line names, and the pfn a page_ref line names. */
const PAGE_PTR = /(?<= )(?:folio|page|anon)=0x(ffffea[0-9a-f]+)(?= )/;
const PAGE_REF_PFN = /page_ref_\w+: pfn=0x([0-9a-f]+) /;
const VMEMMAP = 0xffffea0000000000n;

/** pfn ranges of the trace's pmem and device-dax resources (`# pmem: a-b`, `# daxX.Y: resource=… size=…`). */
function deviceRanges(lines: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  for (const l of lines) {
    const pmem = /^# pmem: ([0-9a-f]+)-([0-9a-f]+) /.exec(l);
    if (pmem) out.push([Number(BigInt(`0x${pmem[1]}`) >> 12n), Number(BigInt(`0x${pmem[2]}`) >> 12n)]);
    const dax = /^# dax\S+: .*resource=0x([0-9a-f]+) size=(\d+)/.exec(l);
    if (dax) {
      const start = Number(BigInt(`0x${dax[1]}`) >> 12n);
      out.push([start, start + Number(BigInt(dax[2]!) >> 12n) - 1]);
    }
  }
  return out;
}

/** The pfn an event line is about, when it names one. */
function pfnOf(text: string): number | undefined {
  const ref = PAGE_REF_PFN.exec(text);
  if (ref) return Number.parseInt(ref[1]!, 16);
  const ptr = PAGE_PTR.exec(text);
  return ptr ? Number((BigInt(`0x${ptr[1]}`) - VMEMMAP) / 64n) : undefined;
}

interface Site {
  readonly trace: string;
  readonly line: number;
  readonly start: number;
  readonly value: number;
  readonly name: string;
}

/** Every compared value of every shipped trace: snap fields, and page fields of lines about a device page. */
const SITES: Site[] = TRACES.flatMap((trace) => {
  const lines = readFileSync(join(TRACE_DIR, trace), 'utf8').split('\n');
  const ranges = deviceRanges(lines);
  return lines.flatMap((text, i) => {
    if (text.startsWith('#') || !/ \d+\.\d+: \w+: /.test(text)) return [];
    const site = (m: RegExpMatchArray): Site => ({ trace, line: i, start: m.index! + m[1]!.length + 1, value: Number(m[2]), name: m[1]! });
    const snaps = [...text.matchAll(SNAP)].map(site);
    const pfn = pfnOf(text);
    const onDevice = pfn !== undefined && ranges.some(([a, b]) => pfn >= a && pfn <= b);
    return onDevice ? [...snaps, ...[...text.matchAll(PAGE_FIELDS)].map(site)] : snaps;
  });
});

const baselines = new Map<string, { status: number; stdout: string }>();
async function baseline(trace: string): Promise<{ status: number; stdout: string }> {
  let b = baselines.get(trace);
  if (!b) {
    const r = await cli('check', join(TRACE_DIR, trace), '--format', 'json');
    b = { status: r.status, stdout: r.stdout.replaceAll(join(TRACE_DIR, trace), 'TRACE') };
    baselines.set(trace, b);
  }
  return b;
}

describe('check over the shipped traces: a mutated compared value never goes unnoticed', () => {
  it('has compared values to mutate in every trace', () => {
    for (const t of TRACES) expect(SITES.some((s) => s.trace === t), t).toBe(true);
  });

  it('each mutation changes the verdict or the output', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SITES), fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: -3, max: -1 }), fc.constant(1000)), async (site, delta) => {
        const lines = readFileSync(join(TRACE_DIR, site.trace), 'utf8').split('\n');
        const text = lines[site.line]!;
        const old = String(site.value);
        const mutated = String(site.value + delta);
        lines[site.line] = text.slice(0, site.start) + mutated + text.slice(site.start + old.length);
        const path = join(dir, `m${++n}.trace.txt`);
        writeFileSync(path, lines.join('\n'));
        const r = await cli('check', path, '--format', 'json');
        const before = await baseline(site.trace);
        const changed = r.status !== before.status || r.stdout.replaceAll(path, 'TRACE') !== before.stdout;
        expect(changed, `${site.trace}:${site.line + 1} ${site.name}=${old} → ${mutated} was accepted silently`).toBe(true);
      }),
      { seed: SEED, numRuns: 80 },
    );
  });
});

/** Unrelated events a traced task's CPU logs between related ones: scheduler, IRQ, softirq, another tracer. */
const UNRELATED = [
  'sched_switch: prev_comm=daxwork prev_pid=415 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120',
  'sched_wakeup: comm=kworker/1:1 pid=42 prio=120 target_cpu=001',
  'softirq_entry: vec=1 [action=TIMER]',
  'softirq_exit: vec=1 [action=TIMER]',
  'irq_handler_entry: irq=11 name=virtio0',
  'irq_handler_exit: irq=11 ret=handled',
  'tick_stop: success=1 dependency=NONE',
];

/** A check report without what inserted lines may change: line numbers (shifted, also inside messages) and the skipped-event counts. */
function verdictOf(json: string): unknown {
  return JSON.parse(json, (key, value: unknown) => {
    if (key === 'line' || key === 'lines' || key === 'skipped') return undefined;
    return typeof value === 'string' ? value.replace(/\blines? \d+(?:[-–]\d+)?/g, 'line N') : value;
  });
}

describe('check over the shipped traces: unrelated events change nothing', () => {
  it('scheduler, IRQ and softirq lines of the traced task inserted anywhere leave the verdict as it was', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TRACES), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...UNRELATED)), { minLength: 1, maxLength: 40 }), async (trace, inserts) => {
        const lines = readFileSync(join(TRACE_DIR, trace), 'utf8').split('\n');
        // the prefix (task, pid, CPU, flags, timestamp) of the event line each insert goes before
        const events = lines.flatMap((l, i) => (/^\s*\S+-\d+\s.*? \d+\.\d+: \w+: /.test(l) ? [i] : []));
        const at = new Map<number, string[]>();
        for (const [k, body] of inserts) {
          const i = events[k % events.length]!;
          const prefix = /^(.*? \d+\.\d+: )/.exec(lines[i]!)![1]!;
          at.set(i, [...(at.get(i) ?? []), prefix + body]);
        }
        const out = lines.flatMap((l, i) => [...(at.get(i) ?? []), l]);
        const path = join(dir, `u${++n}.trace.txt`);
        writeFileSync(path, out.join('\n'));
        const r = await cli('check', path, '--format', 'json');
        const before = await baseline(trace);
        expect(r.status).toBe(before.status);
        expect(verdictOf(r.stdout.replaceAll(path, 'TRACE'))).toEqual(verdictOf(before.stdout));
      }),
      { seed: SEED, numRuns: 32 },
    );
  });
});
