/**
 * Mutation test over the shipped traces: every mutation of a refcount-bearing value
 * `check` compares changes its verdict or its output (nothing is silently accepted):
 * snap `r_`/`m_`/`e_`/`p_` (refcount, mapcount, entire mapcount, pincount), probe
 * `ref=`/`pref=`/`ref0=`/`mapcount=`/`entire=`/`large=`/`pincount=`, page_ref `count=` and
 * `mapcount=`. A field check reads but does not compare (page_ref `ret=` in the Ops mode;
 * `refs=`/`npages=`/`n=` of grabs, puts and unpins; a page[1] word of a page that heads
 * no folio) may leave the output as it was only because `check --help` and the README
 * list it, with the reason: the list is asserted here. Scheduler, IRQ and softirq lines
 * inserted anywhere change nothing but line numbers, in every shipped trace.
 * Occurrences, values and insertions are drawn by fast-check (pinned seed and numRuns).
 */
import fc from 'fast-check';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_NOT_COMPARED } from '../../src/cli/commands/check.ts';
import { cli } from '../cli/in-process.ts';
import { ensureBuilt, root, scratch, spawnCli } from './helpers.ts';

const SEED = 0x15_0002;
const dir = scratch('dax-refsim-mutation-');
const TRACE_DIR = join(root, 'events/traces');
/** Every shipped trace: tracefs text and both trace-cmd report forms. */
const TRACES = readdirSync(TRACE_DIR).filter((f) => f.endsWith('.txt')).sort();

/** Snap fields (always of the pages the recording watched): `r_<pfn>=`, `m_`, `e_`, `p_`. */
const SNAP = /(?<= )(([rmep])_([0-9a-f]+))=(-?\d+)(?= |$)/g;
/** Refcount-bearing probe and page_ref fields, on a line about a simulated (ZONE_DEVICE) page. */
const PAGE_FIELDS = /(?<= )(ref|pref|ref0|mapcount|count|entire|large|pincount|ret|refs|npages|n)=(-?\d+)(?= |$)/g;
/** The struct page a kprobe line names (`page0=` of unpin_user_pages), and the pfn a page_ref line names. */
const PAGE_PTR = /(?<= )(?:folio|page|page0|anon)=0x(ffffea[0-9a-f]+)(?= |$)/;
const PAGE_REF_PFN = /page_ref_\w+: +pfn=0x([0-9a-f]+) /;
const VMEMMAP = 0xffffea0000000000n;

/**
 * The fields check reads but does not compare, as `check --help` and the README list
 * them (CHECK_NOT_COMPARED), each with the test's way of telling a site of it.
 */
const NOT_COMPARED = {
  'page_ref ret': (s: Site) => s.family === 'ret',
  'refs= npages= n=': (s: Site) => s.family === 'refs' || s.family === 'npages' || s.family === 'n',
  'page[1] words of a page heading no folio': (s: Site) => HEAD_ONLY.has(s.family) && !s.head,
} as const;
/** The page[1] words (entire and large mapcounts, pincount): a folio head's only. */
const HEAD_ONLY = new Set(['e_', 'p_', 'entire', 'large', 'pincount']);

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
  /** `r_`, `m_`, `e_`, `p_` for snap fields, else the field name (`ret` only of page_ref lines). */
  readonly family: string;
  /**
   * The recording shows the page heading a compound folio: the order its line read
   * (snap `o_`, probe `order=`: the page[1] order byte) is a ZONE_DEVICE folio's
   * (PMD_ORDER 9, PUD_ORDER 18) and the pfn is aligned to it. On any other page that
   * byte belongs to the next struct page (its flags: 4, 20 are seen), not an order.
   */
  readonly head: boolean;
}

/** True when `order`, read at a page's page[1] order byte, says the page heads a folio. */
function headsFolio(pfn: number, order: string | undefined): boolean {
  if (order === undefined) return false;
  const o = Number(order);
  return (o === 9 || o === 18) && pfn % 2 ** o === 0;
}

/** Every refcount-bearing value of every shipped trace: snap fields, and page fields of lines about a device page. */
const SITES: Site[] = TRACES.flatMap((trace) => {
  const lines = readFileSync(join(TRACE_DIR, trace), 'utf8').split('\n');
  const ranges = deviceRanges(lines);
  return lines.flatMap((text, i) => {
    if (text.startsWith('#') || !/ \d+\.\d+: +\w+: /.test(text)) return [];
    const snaps = [...text.matchAll(SNAP)].map((m): Site => {
      const order = new RegExp(`(?<= )o_${m[3]}=(\\d+)`).exec(text);
      return { trace, line: i, start: m.index + m[1]!.length + 1, value: Number(m[4]), name: m[1]!, family: `${m[2]}_`, head: headsFolio(Number.parseInt(m[3]!, 16), order?.[1]) };
    });
    const pfn = pfnOf(text);
    if (pfn === undefined || !ranges.some(([a, b]) => pfn >= a && pfn <= b)) return snaps;
    const order = /(?<= )order=(\d+)(?= |$)/.exec(text);
    const pageRef = PAGE_REF_PFN.test(text);
    const fields = [...text.matchAll(PAGE_FIELDS)]
      .filter((m) => m[1] !== 'ret' || pageRef)
      .map((m): Site => ({ trace, line: i, start: m.index + m[1]!.length + 1, value: Number(m[2]), name: m[1]!, family: m[1]!, head: headsFolio(pfn, order?.[1]) }));
    return [...snaps, ...fields];
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

/**
 * The field families mutated: each refcount-bearing field check reads, the page[1]
 * words apart on folio heads (`@head`: compared) and on other pages (listed). Every
 * `entire=` and `large=` probe site of the shipped traces is on a head; no shipped
 * probe reads `pincount=` (the snaps' `p_` do).
 */
const FAMILIES = ['r_', 'm_', 'e_@head', 'e_', 'p_@head', 'p_', 'ref', 'pref', 'ref0', 'mapcount', 'count', 'entire@head', 'large@head', 'ret', 'refs', 'npages', 'n'];
/** The sites of a family. */
const sitesOf = (family: string): Site[] => SITES.filter((s) => (HEAD_ONLY.has(s.family) && s.head ? `${s.family}@head` : s.family) === family);

let mutations = 0;
/** The mutations that left the output as it was, by the listed exception covering each. */
const silent = new Map<string, number>();

describe('check over the shipped traces: a mutated compared value never goes unnoticed', () => {
  it('has values of every field family to mutate, and in every trace', () => {
    for (const t of TRACES) expect(SITES.some((s) => s.trace === t), t).toBe(true);
    for (const f of FAMILIES) expect(sitesOf(f).length, f).toBeGreaterThan(0);
  });

  it('check --help and the README list the fields read but not compared, with the reason', () => {
    // the built CLI, as a user reads it (yargs prints --help itself)
    ensureBuilt();
    const help = spawnCli(['check', '--help']).stdout;
    const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    for (const line of CHECK_NOT_COMPARED.split('\n')) expect(help).toContain(line.trim());
    // the README says the same of each: the field, and why
    expect(readme).toContain('page_ref `ret`: compared in the page_ref mode, and at a page_ref event no probe event encloses');
    expect(readme).toContain('`refs=` of `try_grab_folio(_fast)`, `gup_put_folio` and `__put_devmap_managed_*_refs`, and `npages=`/`n=` of `unpin_user_pages`');
    expect(readme).toContain('the page[1] words of a page that heads no folio');
    expect(CHECK_NOT_COMPARED).toContain('page_ref ret:');
    expect(CHECK_NOT_COMPARED).toContain('refs= of try_grab_folio(_fast), gup_put_folio, __put_devmap_managed_*_refs;');
    expect(CHECK_NOT_COMPARED).toContain('npages=/n= of unpin_user_pages(_dirty_lock), unpin_user_folio');
    expect(CHECK_NOT_COMPARED).toContain('e_/o_/p_ of a snap, entire=/large=/order=/pincount= of a probe, on a page');
    expect(Object.keys(NOT_COMPARED)).toHaveLength(3);
  });

  it.each(FAMILIES)('each mutation of %s changes the verdict or the output, unless it is listed as not compared', async (family) => {
    const sites = sitesOf(family);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sites), fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: -3, max: -1 }), fc.constant(1000)), async (site, delta) => {
        const lines = readFileSync(join(TRACE_DIR, site.trace), 'utf8').split('\n');
        const text = lines[site.line]!;
        const old = String(site.value);
        const mutated = String(site.value + delta);
        lines[site.line] = text.slice(0, site.start) + mutated + text.slice(site.start + old.length);
        const path = join(dir, `m-${family}-${++n}.${site.trace}`);
        writeFileSync(path, lines.join('\n'));
        const r = await cli('check', path, '--format', 'json');
        const before = await baseline(site.trace);
        const changed = r.status !== before.status || r.stdout.replaceAll(path, 'TRACE') !== before.stdout;
        mutations++;
        if (changed) return;
        const listed = Object.entries(NOT_COMPARED).find(([, isIt]) => isIt(site));
        expect(listed, `${site.trace}:${site.line + 1} ${site.name}=${old} → ${mutated} was accepted silently, and no listed exception covers it`).toBeDefined();
        silent.set(`${listed![0]} (${family})`, (silent.get(`${listed![0]} (${family})`) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: Math.min(12, sites.length) },
    );
  });

  it('mutated every family', () => {
    const bySite = FAMILIES.map((f) => `${f} ${sitesOf(f).length}`).join(', ');
    console.log(`mutation: ${mutations} mutations of ${SITES.length} sites (${bySite}) in ${TRACES.length} traces; left as it was, each of a listed field: ${[...silent].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    expect(mutations).toBeGreaterThanOrEqual(FAMILIES.length * 5);
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

/** The event lines of a trace (tracefs or trace-cmd report), by index. */
function eventLines(lines: readonly string[]): number[] {
  return lines.flatMap((l, i) => (/^\s*\S+-\d+\s.*? \d+\.\d+: +\w+: /.test(l) ? [i] : []));
}

/** `lines` with `inserts` (event line index → bodies) inserted before their event lines, under the same task, CPU and timestamp. */
function withInserted(lines: readonly string[], inserts: ReadonlyMap<number, readonly string[]>): string[] {
  return lines.flatMap((l, i) => {
    const bodies = inserts.get(i);
    if (!bodies) return [l];
    const prefix = /^(.*? \d+\.\d+: )/.exec(l)![1]!;
    return [...bodies.map((b) => prefix + b), l];
  });
}

/** Check of `lines` is the trace's baseline verdict, with `inserted` more events skipped. */
async function expectUnchanged(trace: string, lines: readonly string[], name: string, inserted: number): Promise<void> {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n'));
  const r = await cli('check', path, '--format', 'json');
  const before = await baseline(trace);
  expect(r.status, r.stderr).toBe(before.status);
  expect(verdictOf(r.stdout.replaceAll(path, 'TRACE'))).toEqual(verdictOf(before.stdout));
  // skipped and counted: the unrelated events are in the skipped tally, one each
  expect(skippedCount(r.stdout) - skippedCount(before.stdout)).toBe(inserted);
}

/** Events check skipped, summed over the kinds its report lists. */
function skippedCount(json: string): number {
  const skipped = (JSON.parse(json) as { skipped?: readonly { count?: number; events?: number }[] }).skipped ?? [];
  return skipped.reduce((n, s) => n + (s.count ?? s.events ?? 0), 0);
}

describe('check over the shipped traces: unrelated events change nothing', () => {
  it.each(TRACES)('%s: a scheduler, a softirq and an IRQ line before every event line leave the verdict as it was', async (trace) => {
    const lines = readFileSync(join(TRACE_DIR, trace), 'utf8').split('\n');
    const events = eventLines(lines);
    const bodies = [UNRELATED[0]!, UNRELATED[2]!, UNRELATED[4]!];
    await expectUnchanged(trace, withInserted(lines, new Map(events.map((i) => [i, bodies]))), `every-${trace}`, 3 * events.length);
  });

  it.each(TRACES)('%s: scheduler, IRQ and softirq lines of the traced task inserted anywhere leave the verdict as it was', async (trace) => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.constantFrom(...UNRELATED)), { minLength: 1, maxLength: 40 }), async (inserts) => {
        const lines = readFileSync(join(TRACE_DIR, trace), 'utf8').split('\n');
        const events = eventLines(lines);
        const at = new Map<number, string[]>();
        for (const [k, body] of inserts) {
          const i = events[k % events.length]!;
          at.set(i, [...(at.get(i) ?? []), body]);
        }
        await expectUnchanged(trace, withInserted(lines, at), `u${++n}-${trace}`, inserts.length);
      }),
      { seed: SEED, numRuns: 3 },
    );
  });
});
