/**
 * Checking a scenario's `expect` lines: each model named is run once over the Ops,
 * each pair of models diffed once (`expect diff:` is legacy vs unified, the corpus's
 * pair; `expect A vs B:` names its own), and
 * every line is held against the final state, the findings, the waiters left at the
 * end, or the divergences.
 */
import type { Op } from '../events/op.ts';
import { modelFor } from '../models/index.ts';
import { runOps } from '../engine/runner.ts';
import { diffOps, type DiffResult } from '../diff/diff-runs.ts';
import { summarizeFolioAt } from '../report/folios.ts';
import type { Finding } from '../state/finding.ts';
import type { SimState } from '../state/sim-state.ts';
import { hexText } from './parser.ts';
import type { DiffCheck, Expectation, ModelCheck } from './types.ts';

/** One expect line's outcome. */
export interface ExpectResult {
  readonly expect: Expectation;
  readonly holds: boolean;
  /** What was found (for a failing line: the actual value). */
  readonly actual: string;
}

/** A model's run, as the checks read it. */
export interface ModelRun {
  readonly state: SimState;
  readonly findings: readonly Finding[];
}

/** How an expect line names a diff of `A vs B` (model names): `diff` for legacy vs unified, else `A vs B`. */
export function diffTarget(pair: string): string {
  return pair === `${modelFor('legacy').name} vs ${modelFor('unified').name}` ? 'diff' : pair;
}

/** Runs what the expect lines need and checks each. */
export function checkExpectations(ops: readonly Op[], expects: readonly Expectation[]): ExpectResult[] {
  const runs = new Map<string, ModelRun>();
  const diffs = new Map<string, DiffResult>();
  return expects.map((e) => {
    if (e.target === 'diff') {
      const key = e.models.join(' vs ');
      let diff = diffs.get(key);
      if (!diff) {
        diff = diffOps(modelFor(e.models[0]), modelFor(e.models[1]), ops);
        diffs.set(key, diff);
      }
      return { expect: e, ...checkDiff(e.check, diff) };
    }
    let run = runs.get(e.model);
    if (!run) {
      run = runOps(modelFor(e.model), ops);
      runs.set(e.model, run);
    }
    return { expect: e, ...checkModel(e.check, run) };
  });
}

/** Holds a model check against one run. */
export function checkModel(c: ModelCheck, run: ModelRun): { holds: boolean; actual: string } {
  switch (c.kind) {
    case 'field':
    case 'mapping': {
      const f = summarizeFolioAt(run.state, c.pfn)[0];
      if (!f) return { holds: false, actual: `page ${hexText(c.pfn)} was never initialised` };
      const v = c.kind === 'mapping' ? f.mapping : c.field === 'refcount' ? f.refcount : c.field === 'mapcount' ? f.mapcount : c.field === 'pincount' ? f.pincount : f.order;
      return { holds: v === c.value, actual: `${c.kind === 'mapping' ? 'mapping' : c.field} ${v ?? 'none'}` };
    }
    case 'finding': {
      const hits = run.findings.filter((f) => f.code === c.code && (c.pfn === undefined || f.pfn === c.pfn));
      return { holds: c.negate ? hits.length === 0 : hits.length > 0, actual: findingsText(run.findings) };
    }
    case 'findings':
      return { holds: run.findings.length === c.count, actual: findingsText(run.findings) };
    case 'waiting': {
      const ws = run.state.world.waiters.filter((w) => c.pfn === undefined || w.pfn === c.pfn);
      return { holds: c.negate ? ws.length === 0 : ws.length > 0, actual: waitersText(run) };
    }
  }
}

/** Holds a diff check against a diff. */
export function checkDiff(c: DiffCheck, d: DiffResult): { holds: boolean; actual: string } {
  const actual = `${d.divergences.length} divergence(s): ${Object.entries(d.summary).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`;
  if (c.kind === 'divergences') return { holds: d.divergences.length === c.count, actual };
  const hits = d.divergences.filter((x) => (c.cls === undefined || x.class === c.cls) && (c.pfn === undefined || (c.pfn >= x.pfns[0] && c.pfn <= x.pfns[1])));
  return { holds: c.negate ? hits.length === 0 : hits.length > 0, actual };
}

function findingsText(fs: readonly Finding[]): string {
  return fs.length === 0 ? 'no findings' : `findings: ${fs.map((f) => `${f.code} at ${hexText(f.pfn)} (#${f.seq})`).join(', ')}`;
}

function waitersText(run: ModelRun): string {
  const ws = run.state.world.waiters;
  return ws.length === 0 ? 'no waiter at the end' : `waiting at the end: ${ws.map((w) => `${w.fn} (#${w.waiter}) on ${hexText(w.pfn)} until refcount ${w.until}`).join(', ')}`;
}

/** `file:line: expect … : holds|FAILS (actual)`. */
export function formatExpectResult(file: string, r: ExpectResult): string {
  return `${file}:${r.expect.line}: expect ${r.expect.text}: ${r.holds ? 'holds' : `FAILS (${r.actual})`}`;
}
