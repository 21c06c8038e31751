/**
 * Delta debugging (Zeller's ddmin) over an Op stream: the smallest subsequence that
 * still shows a property (a finding, a divergence class, a layout breaker left
 * waiting). Every candidate subset is closed under the Ops' dependencies before it
 * is tested, so a put never runs without its get (nor a get without the put that
 * drops it), an unpin without its pin, a
 * mkwrite without the fault that mapped its page, an Op on a page without the pgmap
 * that registered it. Deterministic: subsets are tried in a fixed order.
 */
import type { Op } from '../events/op.ts';
import type { RefcountModel } from '../models/model.ts';
import { runOps } from '../engine/runner.ts';
import { diffOps } from '../diff/diff-runs.ts';
import type { DivergenceClass } from '../diff/divergence.ts';
import { levelOrder } from '../kernel/constants.ts';

/** What a minimized stream must still show. */
export type KeepTarget =
  | { readonly kind: 'finding'; readonly code: string; readonly model: RefcountModel }
  | { readonly kind: 'hang'; readonly model: RefcountModel }
  | { readonly kind: 'divergence'; readonly cls: DivergenceClass; readonly models: readonly [RefcountModel, RefcountModel] };

/**
 * Whether `ops` shows the target, and if so the seq of the first Op at which it
 * does (a finding's or divergence's Op; for a hang, the last Op).
 */
export function shows(target: KeepTarget, ops: readonly Op[]): number | undefined {
  switch (target.kind) {
    case 'finding':
      return runOps(target.model, ops).findings.find((f) => f.code === target.code)?.seq;
    case 'hang':
      return runOps(target.model, ops).state.world.waiters.length > 0 ? ops[ops.length - 1]?.seq : undefined;
    case 'divergence':
      return diffOps(target.models[0], target.models[1], ops).divergences.find((d) => d.class === target.cls)?.seq;
  }
}

/** The pfns an Op takes or drops references on (for matching gets with puts). */
function grabbed(op: Op): number[] {
  if (!('pfn' in op) || !('nr' in op)) return [];
  const n = Math.min(op.nr, 512);
  return Array.from({ length: n }, (_, i) => op.pfn + i);
}

/**
 * For every Op, the indices of the earlier Ops it cannot run without:
 * - the pgmap.register whose range holds its pfn (pgmap.unregister: its register);
 * - put ↔ the gup.get / dio.grab of that pfn it drops; unpin ↔ the gup.pin /
 *   dio.grab; dio.release ↔ the dio.grab (the latest one not yet released). These go
 *   both ways: a matched pair is kept or dropped whole, so minimizing never makes a
 *   leak (a get without its put) that the input did not have, while a get the input
 *   never drops stays a unit of its own;
 * - dax.mkwrite, cow, pmd.split ← the latest fault of that mm mapping the address;
 *   gup.get, gup.pin, dio.grab of an mm ← the latest fault of that mm mapping the pfn;
 * - devpriv.free ← the devpriv.alloc of its pfn; an Op of a forked mm ← the fork.
 */
export function dependencies(ops: readonly Op[]): number[][] {
  const deps: number[][] = ops.map(() => []);
  const pgmaps: { i: number; name: string; pfn: number; nr: number }[] = [];
  const held = new Map<string, number[]>();
  const push = (k: string, i: number): void => void held.set(k, [...(held.get(k) ?? []), i]);
  const pop = (keys: readonly string[]): number | undefined => {
    let best: { k: string; i: number } | undefined;
    for (const k of keys) {
      const s = held.get(k);
      const i = s?.[s.length - 1];
      if (i !== undefined && (best === undefined || i > best.i)) best = { k, i };
    }
    if (best) held.get(best.k)!.pop();
    return best?.i;
  };
  const faults: number[] = [];
  const forks = new Map<string, number>();
  const allocs = new Map<number, number>();
  ops.forEach((op, i) => {
    const d = deps[i]!;
    if ('pfn' in op && op.type !== 'pgmap.register') {
      const p = [...pgmaps].reverse().find((x) => op.pfn >= x.pfn && op.pfn < x.pfn + x.nr);
      if (p) d.push(p.i);
    }
    if ('mm' in op && op.mm !== undefined && forks.has(op.mm)) d.push(forks.get(op.mm)!);
    switch (op.type) {
      case 'pgmap.register':
        pgmaps.push({ i, name: op.pgmap, pfn: op.pfn, nr: op.nr });
        break;
      case 'pgmap.unregister': {
        const p = [...pgmaps].reverse().find((x) => x.name === op.pgmap);
        if (p) d.push(p.i);
        break;
      }
      case 'gup.get':
      case 'gup.pin':
      case 'dio.grab': {
        const kind = op.type === 'gup.get' ? 'get' : op.type === 'gup.pin' ? 'pin' : 'dio';
        for (const pfn of grabbed(op)) push(`${kind}:${pfn}`, i);
        // GUP walks the page tables of its mm: the fault that mapped the page
        const f = op.mm === undefined ? undefined : [...faults].reverse().find((j) => {
          const x = ops[j] as Extract<Op, { type: 'dax.fault' }>;
          return x.mm === op.mm && op.pfn >= x.pfn && op.pfn < x.pfn + 2 ** levelOrder(x.level);
        });
        if (f !== undefined) d.push(f);
        break;
      }
      case 'put':
      case 'unpin':
      case 'dio.release': {
        const kinds = op.type === 'put' ? ['get', 'dio'] : op.type === 'unpin' ? ['pin', 'dio'] : ['dio'];
        for (const pfn of grabbed(op)) {
          const j = pop(kinds.map((k) => `${k}:${pfn}`));
          if (j === undefined || d.includes(j)) continue;
          // both ways: dropping only the put would leave a leak the input does not have
          d.push(j);
          deps[j]!.push(i);
        }
        break;
      }
      case 'dax.fault':
        faults.push(i);
        break;
      case 'dax.mkwrite':
      case 'cow':
      case 'pmd.split': {
        const f = [...faults].reverse().find((j) => {
          const x = ops[j] as Extract<Op, { type: 'dax.fault' }>;
          return x.mm === op.mm && op.address >= x.vma.start && op.address < x.vma.end;
        });
        if (f !== undefined) d.push(f);
        break;
      }
      case 'fork':
        forks.set(op.child, i);
        break;
      case 'devpriv.alloc':
        allocs.set(op.pfn, i);
        break;
      case 'devpriv.free':
        if (allocs.has(op.pfn)) d.push(allocs.get(op.pfn)!);
        break;
    }
  });
  return deps;
}

/** `set` plus everything it depends on, transitively, in stream order. */
export function closure(set: readonly number[], deps: readonly (readonly number[])[]): number[] {
  const keep = new Set<number>();
  const stack = [...set];
  while (stack.length) {
    const i = stack.pop()!;
    if (keep.has(i)) continue;
    keep.add(i);
    for (const j of deps[i]!) stack.push(j);
  }
  return [...keep].sort((a, b) => a - b);
}

/** Progress of a minimization (for stderr). */
export interface MinimizeProgress {
  readonly tests: number;
  readonly size: number;
  readonly granularity: number;
}

/** The result: the kept Ops' indices in the input, and how many subsets were replayed. */
export interface MinimizeResult {
  readonly indices: readonly number[];
  readonly tests: number;
}

/**
 * ddmin over `ops` for `target`. The input must show the target (else undefined).
 * Ops after the first one that shows it are cut first (a prefix replays the same),
 * then chunks and complements are tried at doubling granularity until no single Op
 * (with what depends on it) can go.
 */
export function minimize(ops: readonly Op[], target: KeepTarget, onProgress?: (p: MinimizeProgress) => void): MinimizeResult | undefined {
  const deps = dependencies(ops);
  let tests = 0;
  // a candidate counts only when its closure is smaller than the current set (else no progress)
  const test = (idx: readonly number[], size: number): number[] | undefined => {
    const closed = closure(idx, deps);
    if (closed.length >= size) return undefined;
    tests++;
    return shows(target, closed.map((i) => ops[i]!)) !== undefined ? closed : undefined;
  };
  const at = shows(target, ops);
  tests++;
  if (at === undefined) return undefined;
  // a prefix replays exactly as the stream does: cut everything after the Op that shows it
  let c = ops.map((_, i) => i).filter((i) => ops[i]!.seq <= at);
  let n = 2;
  while (c.length >= 2) {
    onProgress?.({ tests, size: c.length, granularity: n });
    const chunks = split(c, n);
    let next: number[] | undefined;
    for (const ch of chunks) if ((next = test(ch, c.length))) break;
    if (next) {
      c = next;
      n = 2;
      continue;
    }
    for (const ch of chunks) {
      const drop = new Set(ch);
      if ((next = test(c.filter((i) => !drop.has(i)), c.length))) break;
    }
    if (next) {
      c = next;
      n = Math.max(n - 1, 2);
      continue;
    }
    if (n >= c.length) break;
    n = Math.min(n * 2, c.length);
  }
  const indices = closure(c, deps);
  onProgress?.({ tests, size: indices.length, granularity: n });
  return { indices, tests };
}

/** `xs` in `n` contiguous chunks of near-equal size. */
function split<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let k = 0; k < n; k++) {
    const end = Math.round(((k + 1) * xs.length) / n);
    if (end > start) out.push(xs.slice(start, end));
    start = end;
  }
  return out;
}

/**
 * ddmin as {@link minimize}, for a property only an asynchronous run can tell (a check
 * of the trace lines the kept Ops came from: `minimize --keep mismatch`). `shows` says
 * whether a subsequence of ops shows it, and at which Op's seq (undefined: it does not).
 */
export async function minimizeAsync(
  ops: readonly Op[], shows: (ops: readonly Op[]) => Promise<number | undefined>, onProgress?: (p: MinimizeProgress) => void,
): Promise<MinimizeResult | undefined> {
  const deps = dependencies(ops);
  let tests = 0;
  const test = async (idx: readonly number[], size: number): Promise<number[] | undefined> => {
    const closed = closure(idx, deps);
    if (closed.length >= size) return undefined;
    tests++;
    return (await shows(closed.map((i) => ops[i]!))) !== undefined ? closed : undefined;
  };
  const at = await shows(ops);
  tests++;
  if (at === undefined) return undefined;
  let c = ops.map((_, i) => i).filter((i) => ops[i]!.seq <= at);
  // the prefix must still show it (an observation may read what a later Op's lines say)
  if (c.length < ops.length && (await shows(closure(c, deps).map((i) => ops[i]!))) === undefined) c = ops.map((_, i) => i);
  else c = closure(c, deps);
  let n = 2;
  while (c.length >= 2) {
    onProgress?.({ tests, size: c.length, granularity: n });
    const chunks = split(c, n);
    let next: number[] | undefined;
    for (const ch of chunks) if ((next = await test(ch, c.length))) break;
    if (next) {
      c = next;
      n = 2;
      continue;
    }
    for (const ch of chunks) {
      const drop = new Set(ch);
      if ((next = await test(c.filter((i) => !drop.has(i)), c.length))) break;
    }
    if (next) {
      c = next;
      n = Math.max(n - 1, 2);
      continue;
    }
    if (n >= c.length) break;
    n = Math.min(n * 2, c.length);
  }
  const indices = closure(c, deps);
  onProgress?.({ tests, size: indices.length, granularity: n });
  return { indices, tests };
}
