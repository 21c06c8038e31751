/**
 * The expected result of a scenario under one model, in the replay JSON shape:
 * after every Op the folios it touched and its findings, then the final state.
 * This is what replays/<case>/expected.<family>.json holds.
 */
import type { Op } from '../events/op.ts';
import type { RefEvent } from '../events/ref-event.ts';
import { Runner } from '../engine/runner.ts';
import type { RefcountModel } from '../models/model.ts';
import { compoundHead, source } from '../state/accessors.ts';
import type { SimState } from '../state/sim-state.ts';
import { findingJson, prettyJson, replayJson } from '../report/replay-json.ts';

/** Folios listed per step before the rest is counted in `more`. */
const STEP_FOLIOS = 16;

/** The pfns whose struct page an event writes. */
function written(e: RefEvent): number[] {
  switch (e.type) {
    case 'set': case 'mod': case 'mod_and_test': case 'mod_and_return': case 'mod_unless': case 'freeze': case 'unfreeze':
    case 'prep_compound': case 'split': case 'set_mapping': case 'share': case 'pin_count':
      return [e.pfn];
    case 'add_rmap': case 'remove_rmap':
      return [e.pfn, e.page];
    case 'memmap_init':
      return [e.pfn];
    default:
      return [];
  }
}

/** The heads of the folios an Op wrote, in pfn order. */
function touchedHeads(state: SimState, events: readonly RefEvent[]): number[] {
  const src = source(state);
  const heads = new Set<number>();
  for (const e of events) for (const p of written(e)) if (src.page(p)) heads.add(compoundHead(src, p));
  return [...heads].sort((a, b) => a - b);
}

/** One Op's entry in an expected file. */
interface StepJson {
  readonly seq: number;
  readonly op: string;
  readonly folios: readonly unknown[];
  readonly more?: number;
  readonly findings: readonly unknown[];
  readonly waiters?: readonly unknown[];
}

/** Runs `ops` under `model` and renders the expected file (deterministic, newline-terminated). */
export function expectedJson(model: RefcountModel, ops: readonly Op[], caseName: string): string {
  const runner = new Runner(model, { checkpointEvery: 0 });
  const steps: StepJson[] = [];
  for (const op of ops) {
    const before = runner.findings.length;
    const events = runner.pushOp(op);
    const state = runner.state();
    const heads = touchedHeads(state, events);
    const folios = heads.slice(0, STEP_FOLIOS).flatMap((pfn) => replayJson({ profile: model.name, kconfig: {}, events: 0, state, findings: [], pfn }).folios);
    const waiters = state.world.waiters;
    steps.push({
      seq: op.seq,
      op: op.type,
      folios,
      ...(heads.length > STEP_FOLIOS ? { more: heads.length - STEP_FOLIOS } : {}),
      findings: runner.findings.slice(before).map(findingJson),
      ...(waiters.length ? { waiters: waiters.map((w) => ({ waiter: w.waiter, pfn: `0x${w.pfn.toString(16)}`, fn: w.fn, kind: w.kind, until: w.until })) } : {}),
    });
  }
  const final = replayJson({ profile: model.name, kconfig: model.profile.kconfig, events: ops.length, state: runner.state(), findings: runner.findings });
  return `${prettyJson({ case: caseName, profile: model.name, steps, final })}\n`;
}
