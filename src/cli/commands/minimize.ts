/**
 * `dax-refsim minimize <input> --keep <what>`: shrinks an Op stream (a `.dax`
 * scenario, Op JSONL, a case folder or a recorded trace) to the fewest Ops that still
 * show a finding, a divergence class or a layout breaker left waiting, by ddmin
 * (src/scenario/minimize.ts), and prints them as a `.dax` scenario ending in the
 * `expect` line that holds. Progress goes to stderr. Exit 0, 1 when the input does not
 * show what --keep names, 2 on bad input or usage.
 */
import type { Argv, CommandModule } from 'yargs';
import type { Op } from '../../events/op.ts';
import { DIVERGENCE_CLASSES, type DivergenceClass } from '../../diff/divergence.ts';
import { modelFor, type RefcountModel } from '../../models/index.ts';
import { writeFileAtomic } from '../../io/write-file.ts';
import { minimize, type KeepTarget } from '../../scenario/minimize.ts';
import { toDax } from '../../scenario/emit.ts';
import { EXIT, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { parseModels } from './diff.ts';
import { readOpInput, type OpInput } from './op-input.ts';

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
    throw new UsageError('--keep mismatch: not supported: a mismatch is between a trace\'s recorded observations and the model, and the observations do not survive removing Ops; minimize the finding or divergence the mismatch shows instead');
  }
  throw new UsageError(`--keep ${args.keep}: expected finding:CODE, hang or divergence:CLASS`);
}

/** The expect line that holds on the minimized scenario. */
function expectLine(t: KeepTarget): string {
  if (t.kind === 'finding') return `${t.model.name}: finding ${t.code}`;
  if (t.kind === 'hang') return `${t.model.name}: waiting`;
  return `diff: ${t.cls}`;
}

function describeTarget(t: KeepTarget): string {
  if (t.kind === 'finding') return `finding ${t.code} on ${t.model.name}`;
  if (t.kind === 'hang') return `a layout breaker left waiting on ${t.model.name}`;
  return `a ${t.cls} divergence between ${t.models[0].name} and ${t.models[1].name}`;
}

/** Runs the minimize command. */
export async function runMinimize(args: MinimizeArgs, ctx: CliContext): Promise<void> {
  const input = await readOpInput(args.input);
  const target = parseKeep(args, input);
  if (target.kind === 'divergence' && args.models !== 'legacy,unified' && !(target.models[0].name === modelFor('legacy').name && target.models[1].name === modelFor('unified').name)) {
    // `expect diff:` lines compare legacy with unified; say so rather than print a line that checks something else
    ctx.io.stderr(`minimize: note: the expect diff line checks legacy against unified, not ${args.models}\n`);
  }
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

/** The yargs module of `minimize`. */
export function minimizeCommand(ctx: CliContext): CommandModule<object, MinimizeArgs> {
  return {
    command: 'minimize <input>',
    describe: 'Shrink an Op stream or trace to the fewest Ops that still show a finding, a hang or a divergence class (ddmin); print them as .dax',
    builder: (y: Argv) =>
      y
        .positional('input', { type: 'string', demandOption: true, describe: '.dax scenario, Op JSONL, a case folder, or a recorded trace' })
        .option('keep', { type: 'string', demandOption: true, describe: 'finding:CODE | hang | divergence:CLASS' })
        .option('model', { type: 'string', describe: 'model for finding:/hang (default: the scenario\'s profile, the trace\'s kernel, else legacy)' })
        .option('models', { type: 'string', default: 'legacy,unified', describe: 'two profiles for divergence:' })
        .option('out', { type: 'string', describe: 'write the scenario to FILE (atomically)' }) as unknown as Argv<MinimizeArgs>,
    handler: (args) => runMinimize(args, ctx),
  };
}
