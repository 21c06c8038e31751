/**
 * `check` of a trace lifted to Ops holds what its pending work needs, not what its
 * length brings (issue 15 item 7): a recorded trace whose body is repeated (timestamps
 * moved on each time) leaves the checker, the lifter and the findings holding the same
 * counts at 10 repetitions as at 40. Sizes, not RSS: exact and not timing-dependent.
 * The evidence of listed missed wakeups is read from the few records it quotes. The
 * findings past --max-details are counted, not kept, and the ones listed are an uncapped
 * check's first ones.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTraceFile, readStage } from '../../src/check/check-file.ts';
import { CheckContext, compareStage, liftStage, reportOf, runStage, type Lifted, type PipelineOptions } from '../../src/check/pipeline.ts';
import type { Lifter } from '../../src/lift/lifter.ts';
import { evidenceInputOf } from '../../src/check/evidence-input.ts';
import { findingEvidence } from '../../src/check/finding-evidence.ts';
import { liftTraceFile } from '../../src/lift/lift-file.ts';
import { streamTraceFile } from '../../src/trace/read-file.ts';
import type { TraceRecord } from '../../src/trace/record-types.ts';
import { traceText } from '../lift/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-ops-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TRACE = 'k612-ext4-daxwork.trace.txt';
const RACE = 'k61-ext4-daxrace.trace.txt';
const UNIFIED = 'k73-ext4-daxwork.trace.txt';
/** `<task>-<pid> [cpu] flags <seconds>.<micros>:` of an event line. */
const TS = /^(.{0,60}?\]\s+\S+\s+)(\d+)\.(\d{6}):/;

/** The trace with its body (the event lines between the header and KTRACE-END) written `times` times, each copy 10 s after the previous one. */
function repeated(times: number, name = TRACE): string {
  const lines = traceText(name).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const end = lines.findIndex((l) => l.startsWith('KTRACE-END'));
  let first = 1;
  while (lines[first]!.startsWith('#')) first++;
  const body = lines.slice(first, end);
  const out = lines.slice(0, first);
  for (let i = 0; i < times; i++) {
    for (const l of body) {
      const m = TS.exec(l);
      out.push(m === null ? l : `${m[1]}${Number(m[2]) + 10 * i}.${m[3]}:${l.slice(m[0].length)}`);
    }
  }
  out.push(...lines.slice(end));
  const path = join(dir, `${name}-${times}.trace.txt`);
  writeFileSync(path, `${out.join('\n')}\n`);
  return path;
}

/**
 * Checks a file through the pipeline's stages, keeping the context and the lifter to look
 * at what they hold at the end, and the most Op lines the checker held after any batch of
 * lifted items (the stages pull the next batch once the last one is compared).
 */
async function checkHeld(path: string, opts: PipelineOptions): Promise<{ ctx: CheckContext; lifter: Lifter; mostOpLines: number; batches: number }> {
  const ctx = new CheckContext();
  ctx.maxDetails = opts.maxDetails;
  let lifter: Lifter | null = null;
  let mostOpLines = 0;
  let batches = 0;
  async function* tap(lifted: AsyncIterable<readonly Lifted[]>): AsyncGenerator<readonly Lifted[]> {
    for await (const batch of lifted) {
      for (const l of batch) if (l.type === 'start') lifter = l.lifter;
      yield batch;
      batches++;
      mostOpLines = Math.max(mostOpLines, ctx.checker?.held.opLines ?? 0);
    }
  }
  await compareStage(runStage(tap(liftStage(readStage(path, opts), opts)), opts, ctx), ctx);
  return { ctx, lifter: lifter!, mostOpLines, batches };
}

/** What the stages hold at the end, by count. */
function heldOf(ctx: CheckContext, lifter: Lifter): Record<string, number> {
  return { ...ctx.checker!.held, phases: lifter.phases.length, keptFindings: ctx.findings!.kept.length, findingLines: ctx.findings!.lines.size };
}

describe(`${TRACE} with its body repeated`, () => {
  const small = repeated(10);
  const large = repeated(40);

  it('under its own model: the checker, the lifter and the findings hold the same counts at 10 and 40 repetitions, the waiting Ops\' lines aside', async () => {
    const a = await checkHeld(small, { maxDetails: 1000 });
    const b = await checkHeld(large, { maxDetails: 1000 });
    // every observation matched, 4x as many at 4x the body
    expect(a.ctx.checker!.tally.observations).toBe(3300);
    expect(b.ctx.checker!.tally.observations).toBe(13200);
    expect(b.ctx.checker!.tally.matched).toBe(13200);
    // no PHASE point is kept (check reads none), no finding, one Op in the log
    const held = { pending: 0, window: 1, explained: 0, findings: 0, phases: 0, keptFindings: 0, findingLines: 0 };
    // the line of each Op that waited (one layout break a repetition) is kept only while
    // it waits (a later missed wakeup would name it): none at the end
    expect(heldOf(a.ctx, a.lifter)).toEqual({ ...held, opLines: 0 });
    expect(heldOf(b.ctx, b.lifter)).toEqual({ ...held, opLines: 0 });
    // and at most one on the way, the punch's while it sleeps
    expect([a.mostOpLines, b.mostOpLines]).toEqual([1, 1]);
  });

  it('under the other model (a finding at every repetition): findings past --max-details counted, not kept; the Runner holds none', async () => {
    const opts = { model: 'unified', maxDetails: 10 };
    const a = await checkHeld(small, opts);
    const b = await checkHeld(large, opts);
    expect([a.ctx.findings!.count, b.ctx.findings!.count]).toEqual([50, 200]);
    // the Runner's findings are decided HORIZON Ops after they are raised and then forgotten
    // (none held at the end); the tally keeps 10 and the lines they and the waiters they
    // name need
    expect(heldOf(a.ctx, a.lifter)).toEqual({ pending: 0, window: 1, opLines: 0, explained: 0, findings: 0, phases: 0, keptFindings: 10, findingLines: 6 });
    expect(heldOf(b.ctx, b.lifter)).toEqual({ pending: 0, window: 1, opLines: 0, explained: 0, findings: 0, phases: 0, keptFindings: 10, findingLines: 6 });
    // the Op lines their findings and waiters may name, each dropped once none can
    // (dropOpLines): as many at most at 10 repetitions as at 40, none at the end
    expect([a.mostOpLines, b.mostOpLines]).toEqual([9, 9]);
    const cut = reportOf(b.ctx, b.ctx.header, opts);
    expect(cut.notListed).toMatchObject({ maxDetails: 10, findings: 190 });
  });

  it('the findings listed under a cap are the first ones of an uncapped check, with the same lines', async () => {
    const all = (await checkTraceFile(small, { model: 'unified' })).outcome;
    const cut = (await checkTraceFile(small, { model: 'unified', maxDetails: 10 })).outcome;
    expect(all.findings).toHaveLength(50);
    expect(cut.findings).toEqual(all.findings.slice(0, 10));
    for (const f of cut.findings) expect(cut.findingLines.get(f.seq)).toBe(all.findingLines.get(f.seq));
  });
});

describe(`${UNIFIED} with its body repeated`, () => {
  it('under a legacy model (the other family): the Op lines held stay as many at 10 repetitions as at 40', async () => {
    const opts = { model: 'legacy@6.12', maxDetails: 10 };
    const a = await checkHeld(repeated(10, UNIFIED), opts);
    const b = await checkHeld(repeated(40, UNIFIED), opts);
    // no finding; the line of each repetition's waiting punch kept only while it waits
    // (before, one number a repetition to the end: 10 and 40)
    expect([a.ctx.findings!.count, b.ctx.findings!.count]).toEqual([0, 0]);
    expect([a.mostOpLines, b.mostOpLines]).toEqual([1, 1]);
    expect([a.ctx.checker!.held.opLines, b.ctx.checker!.held.opLines]).toEqual([0, 0]);
  });
});

describe(`${RACE} with its body repeated 30 times (a missed wakeup at each repetition's O_DIRECT completion, 30 in all)`, () => {
  const path = repeated(30, RACE);

  it('the evidence of the listed findings, read from the parts of the trace it quotes, is the one read from the whole trace', async () => {
    const { outcome, model } = await checkTraceFile(path, { maxDetails: 20 });
    expect(outcome.findings).toHaveLength(20);
    expect(outcome.notListed).toMatchObject({ findings: 10, errorFindings: 10 });
    const profile = { putPath: model.profile.dio.note, profile: model.profile.name };
    // the whole trace, as check read it before: every Op, every record, every line
    const lifted = await liftTraceFile(path);
    const records: TraceRecord[] = [];
    for await (const it of streamTraceFile(path)) if (it.type === 'record') records.push(it.record);
    const lines = readFileSync(path, 'utf8').split('\n');
    const whole = findingEvidence(outcome.findings, { header: lifted.header, records, ops: new Map(lifted.ops.map((op) => [op.seq, op])), lineText: (l) => lines[l - 1], ...profile });
    const part = await evidenceInputOf(path, outcome.findings, undefined);
    expect(findingEvidence(outcome.findings, { ...part!, ...profile })).toEqual(whole);
    expect(whole.size).toBe(20);
    // of 1,320 records and 211 Ops, a few per finding (each listed one from a repetition
    // of its own: the punch of an earlier one no longer waits, endTaskWait())
    expect([records.length, lifted.ops.length]).toEqual([1320, 211]);
    expect([part!.records.length, part!.ops.size]).toEqual([141, 60]);
  });
});
