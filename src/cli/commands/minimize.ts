/**
 * `dax-refsim minimize <input> --keep <what>`: shrinks an Op stream (a `.dax`
 * scenario, Op JSONL, a case folder or a recorded trace) to the fewest Ops that still
 * show a finding, a divergence class or a layout breaker left waiting, by ddmin
 * (src/scenario/minimize.ts), and prints them as a `.dax` scenario ending in the
 * `expect` line that holds. Progress goes to stderr. Exit 0, 1 when the input does not
 * show what --keep names, 2 on bad input or usage.
 *
 * `--keep mismatch[:FUNCTION]` shrinks a recorded trace instead: a candidate is the
 * trace without the lines of the Ops it drops (the header and every line no Op came
 * from stay), checked as `check` does, and kept while that check still reports a
 * mismatch at the same observation (line, page, field) with the same recorded and
 * simulated values: the first mismatch of the whole trace (or of FUNCTION).
 */
import type { Argv, CommandModule } from 'yargs';
import type { Op } from '../../events/op.ts';
import { DIVERGENCE_CLASSES, type DivergenceClass } from '../../diff/divergence.ts';
import { modelFor, type RefcountModel } from '../../models/index.ts';
import { checkOutputTarget, writeFileAtomic } from '../../io/write-file.ts';
import { minimize, type KeepTarget } from '../../scenario/minimize.ts';
import { toDax } from '../../scenario/emit.ts';
import { diffTarget } from '../../scenario/expect.ts';
import { EXIT, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { parseModels } from './diff.ts';
import { readOpInput, resolveInput, type OpInput } from './op-input.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { minimizeAsync } from '../../scenario/minimize.ts';
import { liftTraceFile } from '../../lift/lift-file.ts';
import { checkTraceFile } from '../../check/check-file.ts';
import type { CheckOutcome, Mismatch } from '../../check/result.ts';
import { sniffFormat } from '../../engine/replay.ts';
import { isDaxFile } from '../../io/dax-file.ts';
import { runOps } from '../../engine/runner.ts';
import { source } from '../../state/accessors.ts';
import { formatIssue } from '../../trace/issues.ts';
import { InputIssues } from '../errors.ts';
import { locatingOpBounds } from '../op-bound-position.ts';

/** The minimize command's arguments. */
export interface MinimizeArgs {
  readonly input: string;
  readonly keep: string;
  readonly model?: string;
  readonly models: string;
  readonly out?: string;
}

/** The model a finding or hang is looked for under: --model, the scenario's profile, the trace's kernel, else legacy. */
function oneModel(args: MinimizeArgs, input: OpInput): RefcountModel {
  if (args.model !== undefined) return modelFor(args.model);
  if (input.profile) return modelFor(input.profile);
  if (input.kernel) return modelFor(undefined, { kernel: input.kernel });
  return modelFor('legacy');
}

/** `--keep finding:CODE | hang | divergence:CLASS` (mismatch is refused with the reason). */
export function parseKeep(args: MinimizeArgs, input: OpInput): KeepTarget {
  const [kind, arg] = args.keep.split(/:(.*)/s) as [string, string | undefined];
  if (kind === 'finding' && arg) return { kind: 'finding', code: arg, model: oneModel(args, input) };
  if (kind === 'hang' && arg === undefined) return { kind: 'hang', model: oneModel(args, input) };
  if (kind === 'divergence' && arg) {
    if (!(DIVERGENCE_CLASSES as readonly string[]).includes(arg)) throw new UsageError(`--keep divergence:${arg}: expected a class: ${DIVERGENCE_CLASSES.join(', ')}`);
    return { kind: 'divergence', cls: arg as DivergenceClass, models: parseModels(args.models) };
  }
  if (kind === 'mismatch') {
    throw new UsageError(`--keep ${args.keep}: ${input.file} is no recorded trace: a mismatch is between a trace's recorded observations and the model; give the trace`);
  }
  throw new UsageError(`--keep ${args.keep}: expected finding:CODE, hang or divergence:CLASS`);
}

/** The expect line that holds on the minimized scenario. */
function expectLine(t: KeepTarget): string {
  if (t.kind === 'finding') return `${t.model.name}: finding ${t.code}`;
  if (t.kind === 'hang') return `${t.model.name}: waiting`;
  return `${diffTarget(`${t.models[0].name} vs ${t.models[1].name}`)}: ${t.cls}`;
}

function describeTarget(t: KeepTarget): string {
  if (t.kind === 'finding') return `finding ${t.code} on ${t.model.name}`;
  if (t.kind === 'hang') return `a layout breaker left waiting on ${t.model.name}`;
  return `a ${t.cls} divergence between ${t.models[0].name} and ${t.models[1].name}`;
}

/** Runs the minimize command. */
export async function runMinimize(args: MinimizeArgs, ctx: CliContext): Promise<void> {
  // a bad --out fails before the replays, not after them
  if (args.out !== undefined) checkOutputTarget(args.out);
  const mm = /^mismatch(?::(.+))?$/s.exec(args.keep);
  if (mm) {
    const file = resolveInput(args.input);
    if (!isDaxFile(file) && (await sniffFormat(file)) === 'trace') return minimizeMismatch(args, ctx, file, mm[1]);
  }
  const input = await readOpInput(args.input, 'minimize');
  const target = parseKeep(args, input);
  let lastSize = -1;
  const result = minimize(input.ops, target, (p) => {
    if (p.size === lastSize) return;
    lastSize = p.size;
    ctx.io.stderr(`minimize: ${p.size} of ${input.ops.length} Ops after ${p.tests} replays\n`);
  });
  if (!result) {
    ctx.io.stderr(`minimize: ${input.file} does not show ${describeTarget(target)}: nothing to keep\n`);
    ctx.exit(EXIT.findings);
    return;
  }
  const ops: Op[] = result.indices.map((i, k) => ({ ...input.ops[i]!, seq: k + 1 }));
  const threads = input.scenario ? result.indices.map((i) => input.scenario!.threads[i] ?? null) : undefined;
  const text = toDax(ops, {
    description: `minimized from ${input.file}: ${ops.length} of ${input.ops.length} Ops still show ${describeTarget(target)}`,
    profile: target.kind === 'divergence' ? input.profile : target.model.name,
    ...(threads ? { threads } : {}),
    expects: [expectLine(target)],
    file: args.input,
  });
  ctx.io.stderr(`minimize: ${ops.length} of ${input.ops.length} Ops, ${result.tests} replays\n`);
  if (args.out !== undefined) await writeFileAtomic(args.out, text, { inputs: [input.file] });
  else ctx.io.stdout(text);
  ctx.exit(EXIT.ok);
}

/**
 * `--keep mismatch[:FUNCTION]` on a recorded trace: ddmin over its Ops, each
 * candidate checked on the trace lines it keeps (read whole: the traces this command
 * shrinks are small).
 */
async function minimizeMismatch(args: MinimizeArgs, ctx: CliContext, file: string, fn: string | undefined): Promise<void> {
  const lifted = await liftTraceFile(file);
  const errors = lifted.issues.filter((i) => i.severity === 'error');
  if (errors.length) throw new InputIssues(errors.slice(0, 20).map(formatIssue));
  const opItems = lifted.items.flatMap((i) => (i.kind === 'op' ? [i] : []));
  const ops = opItems.map((i) => i.op);
  // the trace lines each Op was lifted from
  const linesOf = new Map(opItems.map((i) => [i.op.seq, i.records.map((r) => r.line)]));
  const seqAt = new Map<number, number>();
  for (const [seq, lines] of linesOf) for (const l of lines) seqAt.set(l, seq);
  const text = readFileSync(file, 'utf8').split('\n');
  const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-minimize-'));
  const choice = args.model !== undefined ? { model: args.model } : {};
  let target: Mismatch | undefined;
  let last: { outcome: CheckOutcome; mismatch: Mismatch } | undefined;
  /** The check of the trace without the lines of the Ops not in `kept`; its mismatches at their original lines. */
  const check = async (kept: readonly Op[]): Promise<CheckOutcome> => {
    const keep = new Set(kept.map((o) => o.seq));
    const original: number[] = [];
    const lines: string[] = [];
    text.forEach((t, i) => {
      const seq = seqAt.get(i + 1);
      if (seq !== undefined && !keep.has(seq)) return;
      original.push(i + 1);
      lines.push(t);
    });
    const path = join(dir, 'candidate.trace.txt');
    writeFileSync(path, lines.join('\n'));
    const o = (await checkTraceFile(path, choice)).outcome;
    return { ...o, mismatches: o.mismatches.map((m) => ({ ...m, line: original[m.line - 1] ?? m.line })) };
  };
  /** The seq of the Op whose lines hold (or last precede) a line. */
  const opOf = (line: number): number => seqAt.get(line) ?? ops.filter((o) => (o.line ?? 0) <= line).at(-1)?.seq ?? ops[0]?.seq ?? 0;
  const shows = async (kept: readonly Op[]): Promise<number | undefined> => {
    const o = await check(kept);
    // the same disagreement: the same observation (line, page, field) and the same model value;
    // a looser match lets dropped Ops make a new mismatch that merely looks alike
    const m = o.mismatches.find((x) => (target ? sameMismatch(x, target) : fn === undefined || x.function === fn));
    if (!m) return undefined;
    target ??= m;
    last = { outcome: o, mismatch: m };
    return opOf(m.line);
  };
  let lastSize = -1;
  try {
    const result = await minimizeAsync(ops, shows, (p) => {
      if (p.size === lastSize) return;
      lastSize = p.size;
      ctx.io.stderr(`minimize: ${p.size} of ${ops.length} Ops after ${p.tests} checks\n`);
    });
    const what = fn === undefined ? 'a mismatch' : `a mismatch in ${fn}`;
    if (!result) {
      ctx.io.stderr(`minimize: ${file} does not show ${what}: nothing to keep\n`);
      ctx.exit(EXIT.findings);
      return;
    }
    const kept = result.indices.map((i) => ops[i]!);
    // the last candidate checked may be one that was dropped: check the result itself
    if ((await shows(kept)) === undefined || !last) throw new Error('minimize: the minimized trace lost its mismatch');
    const { outcome, mismatch: m } = last;
    const renumbered: Op[] = kept.map((op, k) => ({ ...op, seq: k + 1 }));
    const model = modelFor(outcome.profile);
    const pfn = Number(m.pfn);
    const final = Number.isFinite(pfn) ? source(runOps(model, renumbered).state).page(pfn)?.refcount : undefined;
    const out = toDax(renumbered, {
      description: `minimized from ${file}: ${kept.length} of ${ops.length} Ops still show the mismatch at line ${m.line}`,
      profile: outcome.profile,
      comments: [
        `check of the trace lines these Ops came from ("line N"), with the header and every line no Op came from:`,
        `mismatch at line ${m.line} (${m.function}): pfn ${m.pfn} ${m.field} recorded ${m.recorded}, ${outcome.profile} ${m.simulated ?? 'none'}`,
        'the check takes over the recorded values of a snap line that differs, and those lines stay: replaying',
        'these Ops alone need not give the simulated value above; a .dax carries no recorded values, and its',
        'expect line is the model\'s refcount of that page at the end of these Ops',
      ],
      ...(final !== undefined ? { expects: [`${outcome.profile}: ${m.pfn} refcount ${final}`] } : {}),
      file: args.input,
    });
    ctx.io.stderr(`minimize: ${kept.length} of ${ops.length} Ops, ${result.tests + 1} checks\n`);
    if (args.out !== undefined) await writeFileAtomic(args.out, out, { inputs: [file] });
    else ctx.io.stdout(out);
    ctx.exit(EXIT.ok);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Two mismatches are one disagreement: the same observation and the same values. */
function sameMismatch(a: Mismatch, b: Mismatch): boolean {
  return a.line === b.line && a.pfn === b.pfn && a.field === b.field && a.function === b.function && a.recorded === b.recorded && a.simulated === b.simulated;
}

/** The yargs module of `minimize`. */
export function minimizeCommand(ctx: CliContext): CommandModule<object, MinimizeArgs> {
  return {
    command: 'minimize <input>',
    describe: 'Shrink an Op stream or trace to the fewest Ops that still show a finding, a hang or a divergence class (ddmin); print them as .dax',
    builder: (y: Argv) =>
      y
        .positional('input', { type: 'string', demandOption: true, describe: '.dax scenario, Op JSONL, a case folder, or a recorded trace' })
        .option('keep', { type: 'string', demandOption: true, describe: 'finding:CODE | hang | divergence:CLASS | mismatch[:FUNCTION] (a recorded trace)' })
        .option('model', { type: 'string', describe: 'model for finding:/hang (default: the scenario\'s profile, the trace\'s kernel, else legacy)' })
        .option('models', { type: 'string', default: 'legacy,unified', describe: 'two profiles for divergence:' })
        .option('out', { type: 'string', describe: 'write the scenario to FILE (atomically)' }) as unknown as Argv<MinimizeArgs>,
    handler: (args) => locatingOpBounds(args.input, () => runMinimize(args, ctx)),
  };
}
