/**
 * Every interleaving of a scenario's threads: each thread's Ops stay in program order,
 * an Op without a thread stays a barrier between what is written above and below it,
 * the threads' Ops are merged in every other order, and each merged stream is replayed
 * under the chosen models. Partial-order reduction (sleep sets, Godefroid 1996) skips the
 * orders that only swap independent Ops: two Ops are independent when they touch
 * disjoint folios (the pages they reference, map, unmap or truncate, widened to the
 * PMD or PUD block where the scenario maps one huge) and neither is global (fork,
 * exit, pgmap registration), so one stream per equivalence class is replayed.
 */
import type { Op } from '../events/op.ts';
import type { RefcountModel } from '../models/model.ts';
import { runOps } from '../engine/runner.ts';
import { OpBoundError } from '../engine/op-bounds.ts';
import { diffOps } from '../diff/diff-runs.ts';
import { PMD_ORDER, PUD_ORDER, levelOrder } from '../kernel/constants.ts';

/** What one interleaving showed. */
export interface Outcome {
  /** `finding CODE`, `hang` or `divergence CLASS`. */
  readonly what: string;
  /** The model (for a divergence: `a vs b`). */
  readonly model: string;
  /** Ops of the interleaving needed to show it (a prefix: up to the Op that shows it; all for a hang). */
  readonly length: number;
}

/** One outcome across the interleavings: how many showed it and the shortest example. */
export interface OutcomeSummary {
  readonly what: string;
  readonly model: string;
  readonly count: number;
  /** Indices (into the scenario's Ops) of the shortest example, in order. */
  readonly example: readonly number[];
  /** Context switches in the example. */
  readonly switches: number;
}

/** The result of an exploration. */
export interface ExploreResult {
  /** Interleavings replayed. */
  readonly explored: number;
  /** Every order that respects program order (a BigInt: it grows fast), for the report. */
  readonly total: bigint;
  /** True when the bound stopped the search before every class was replayed. */
  readonly bounded: boolean;
  /** The unthreaded Ops: each is ordered against every other Op (a barrier). */
  readonly barriers: readonly number[];
  /** Each thread's name and Op indices. */
  readonly threads: readonly { readonly name: string; readonly ops: readonly number[] }[];
  readonly outcomes: readonly OutcomeSummary[];
}

/** Options of explore. */
export interface ExploreOptions {
  readonly models: readonly RefcountModel[];
  /** Compare the first two models too (divergence classes). */
  readonly diff: boolean;
  readonly maxInterleavings: number;
}

/**
 * Splits a scenario into its threads (in order of first appearance) and its barriers:
 * an Op without a thread is ordered against every other Op (all Ops above it run
 * before it, all below after it), so the setup at the top and a teardown at the end
 * run where they are written.
 */
export function threadsOf(threads: readonly (string | null)[]): { barriers: number[]; threads: { name: string; ops: number[] }[] } {
  const barriers: number[] = [];
  const byName = new Map<string, number[]>();
  threads.forEach((t, i) => {
    if (t === null) return void barriers.push(i);
    byName.set(t, [...(byName.get(t) ?? []), i]);
  });
  return { barriers, threads: [...byName].map(([name, ops]) => ({ name, ops })) };
}

/** For each Op, the Ops that must run before it: its thread's previous Op and the barriers around it. */
export function predecessors(threads: readonly (string | null)[]): number[][] {
  const preds: number[][] = threads.map(() => []);
  const last = new Map<string, number>();
  let barrier: number | undefined;
  let since: number[] = [];
  threads.forEach((t, i) => {
    if (t === null) {
      // a barrier waits for everything since the previous one (and that one)
      preds[i] = [...(barrier !== undefined ? [barrier] : []), ...since];
      barrier = i;
      since = [];
      last.clear();
      return;
    }
    const prev = last.get(t);
    if (prev !== undefined) preds[i]!.push(prev);
    else if (barrier !== undefined) preds[i]!.push(barrier);
    last.set(t, i);
    since.push(i);
  });
  return preds;
}

/** The folios an Op may touch (null: global, dependent on every Op). */
export function footprints(ops: readonly Op[]): (ReadonlySet<number> | null)[] {
  const faults = ops.filter((o): o is Extract<Op, { type: 'dax.fault' }> => o.type === 'dax.fault');
  // a page's folio key: its PUD or PMD block when some fault maps that block huge
  const huge = faults.filter((f) => f.level !== 'pte').map((f) => ({ lo: f.pfn, hi: f.pfn + 2 ** levelOrder(f.level), order: levelOrder(f.level) }));
  const key = (pfn: number): number => {
    const h = huge.filter((x) => pfn >= x.lo && pfn < x.hi).reduce((m, x) => Math.max(m, x.order), 0);
    return h === PUD_ORDER ? -1 - Math.floor(pfn / 2 ** PUD_ORDER) : h === PMD_ORDER ? -1e9 - Math.floor(pfn / 2 ** PMD_ORDER) : pfn;
  };
  const range = (pfn: number, nr: number): Set<number> => {
    const s = new Set<number>();
    for (let i = 0; i < Math.min(nr, 2 ** PUD_ORDER); i++) s.add(key(pfn + i));
    return s;
  };
  const faultPages = (pred: (f: (typeof faults)[number]) => boolean): Set<number> => {
    const s = new Set<number>();
    for (const f of faults) if (pred(f)) for (const k of range(f.pfn, 2 ** levelOrder(f.level))) s.add(k);
    return s;
  };
  return ops.map((op) => {
    switch (op.type) {
      case 'dax.fault':
        return range(op.pfn, 2 ** levelOrder(op.level));
      case 'dax.mkwrite':
      case 'devpriv.alloc':
      case 'devpriv.free':
        return range(op.pfn, 1);
      case 'gup.get':
      case 'gup.pin':
      case 'dio.grab':
      case 'put':
      case 'unpin':
      case 'dio.release':
        return range(op.pfn, op.nr);
      case 'dax.hole_read':
        return new Set<number>();
      case 'munmap':
        return faultPages((f) => f.mm === op.mm && f.address < op.end && f.address + 2 ** (levelOrder(f.level) + 12) > op.start);
      case 'pmd.split':
      case 'cow':
        return faultPages((f) => f.mm === op.mm && op.address >= f.vma.start && op.address < f.vma.end);
      case 'fs.truncate':
      case 'fs.break_layout':
      case 'fs.evict':
        return faultPages((f) => f.file === op.file && f.pgoff + 2 ** levelOrder(f.level) > op.start && (op.end === undefined || f.pgoff <= op.end));
      default:
        return null;
    }
  });
}

function independent(a: ReadonlySet<number> | null, b: ReadonlySet<number> | null): boolean {
  if (a === null || b === null) return false;
  for (const k of a) if (b.has(k)) return false;
  return true;
}

/** The number of orders of threads of these sizes that keep program order: a multinomial. */
export function interleavings(sizes: readonly number[]): bigint {
  let total = 1n;
  let n = 0n;
  for (const s of sizes) {
    for (let k = 1n; k <= BigInt(s); k++) {
      n++;
      total = (total * n) / k;
    }
  }
  return total;
}

/** The orders of a scenario: between barriers, the multinomial of the threads' Op counts. */
function totalOrders(threads: readonly (string | null)[]): bigint {
  let total = 1n;
  let counts = new Map<string, number>();
  const flush = (): void => {
    total *= interleavings([...counts.values()]);
    counts = new Map();
  };
  for (const t of threads) {
    if (t === null) flush();
    else counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  flush();
  return total;
}

/** What one order shows under the models (and their diff). */
function outcomesOf(ops: readonly Op[], opts: ExploreOptions): Outcome[] {
  const out: Outcome[] = [];
  const position = (seq: number): number => ops.findIndex((o) => o.seq === seq) + 1;
  for (const m of opts.models) {
    const r = runOps(m, ops);
    const seen = new Set<string>();
    for (const f of r.findings) {
      if (seen.has(f.code)) continue;
      seen.add(f.code);
      out.push({ what: `finding ${f.code}`, model: m.name, length: position(f.seq) });
    }
    if (r.state.world.waiters.length > 0) out.push({ what: 'hang', model: m.name, length: ops.length });
  }
  if (opts.diff && opts.models.length >= 2) {
    const [a, b] = opts.models as [RefcountModel, RefcountModel];
    const seen = new Set<string>();
    for (const d of diffOps(a, b, ops).divergences) {
      if (seen.has(d.class)) continue;
      seen.add(d.class);
      out.push({ what: `divergence ${d.class}`, model: `${a.name} vs ${b.name}`, length: position(d.seq) });
    }
  }
  return out;
}

/**
 * Explores the interleavings of `ops` (a scenario's Ops with their threads). The
 * replayed order renumbers seq 1…n so findings and divergences name positions in it.
 */
export function explore(ops: readonly Op[], threadNames: readonly (string | null)[], opts: ExploreOptions): ExploreResult {
  const { barriers, threads } = threadsOf(threadNames);
  const fp = footprints(ops);
  const preds = predecessors(threadNames);
  const total = totalOrders(threadNames);
  const done = ops.map(() => false);
  const summaries = new Map<string, { what: string; model: string; count: number; example: number[]; switches: number }>();
  let explored = 0;
  let bounded = false;
  const order: number[] = [];

  const leaf = (): void => {
    explored++;
    const stream = order.map((i, k) => ({ ...ops[i]!, seq: k + 1 }));
    let outcomes: Outcome[];
    try {
      outcomes = outcomesOf(stream, opts);
    } catch (e) {
      // an Op over its bound names its seq in the scenario, where its line is, not its place in this order
      const at = e instanceof OpBoundError ? order[e.seq - 1] : undefined;
      if (e instanceof OpBoundError && at !== undefined) throw new OpBoundError(ops[at]!.seq, e.field, e.message, e.line, e.value);
      throw e;
    }
    for (const o of outcomes) {
      const example = order.slice(0, o.length);
      const switches = example.reduce((n, i, k) => (k > 0 && threadNames[i] !== threadNames[example[k - 1]!] ? n + 1 : n), 0);
      const key = `${o.model}\u0000${o.what}`;
      const s = summaries.get(key);
      if (!s) summaries.set(key, { what: o.what, model: o.model, count: 1, example, switches });
      else {
        s.count++;
        if (example.length < s.example.length || (example.length === s.example.length && switches < s.switches)) Object.assign(s, { example, switches });
      }
    }
  };

  // sleep-set DFS over Ops: `sleep` holds Ops already explored from an equivalent
  // state that are independent of everything run since
  const dfs = (sleep: ReadonlySet<number>): void => {
    if (bounded) return;
    const enabled = ops.map((_, i) => i).filter((i) => !done[i] && preds[i]!.every((j) => done[j]));
    if (enabled.length === 0) {
      if (explored >= opts.maxInterleavings) {
        bounded = true;
        return;
      }
      leaf();
      return;
    }
    const tried = new Set(sleep);
    for (const i of enabled) {
      if (tried.has(i)) continue;
      const next = new Set([...tried].filter((u) => independent(fp[u]!, fp[i]!)));
      done[i] = true;
      order.push(i);
      dfs(next);
      order.pop();
      done[i] = false;
      if (bounded) return;
      tried.add(i);
    }
  };
  dfs(new Set());
  const outcomes = [...summaries.values()].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : a.what < b.what ? -1 : a.what > b.what ? 1 : 0));
  return { explored, total, bounded, barriers, threads, outcomes };
}
