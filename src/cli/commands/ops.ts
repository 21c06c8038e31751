/**
 * `dax-refsim ops <file>`: a `.dax` scenario as Op JSONL (header first), or with
 * `--to-dax` an Op JSONL file or a recorded trace (lifted to Ops) as a `.dax`
 * scenario. Exit 0, or 2 on bad input.
 */
import type { Argv, CommandModule } from 'yargs';
import { formatJsonl } from '../../events/jsonl.ts';
import { writeFileAtomic } from '../../io/write-file.ts';
import { toDax } from '../../scenario/emit.ts';
import { modelFor } from '../../models/index.ts';
import { EXIT, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { readOpInput } from './op-input.ts';

/** The ops command's arguments. */
export interface OpsArgs {
  readonly file: string;
  readonly 'to-dax': boolean;
  readonly out?: string;
}

/**
 * A trace's scenario names the profile of the kernel that recorded it (6.1.0-56-amd64 →
 * legacy@6.1), so replay, minimize and explore of it run that kernel's model without
 * --model; a kernel no profile covers leaves the line out.
 */
function recordedProfile(kernel: string | undefined): string | null {
  if (kernel === undefined) return null;
  try {
    return modelFor(undefined, { kernel }).name;
  } catch {
    return null;
  }
}

/** Runs the ops command. */
export async function runOps(args: OpsArgs, ctx: CliContext): Promise<void> {
  const input = await readOpInput(args.file, 'ops');
  let text: string;
  if (args['to-dax']) {
    if (input.format === 'dax') throw new UsageError(`${args.file} is already a scenario (.dax); --to-dax converts Op JSONL or a recorded trace`);
    const comments = input.format === 'trace' ? [`lifted from a trace recorded on ${input.kernel ?? 'an unnamed kernel'}; "line N" is the trace line of each Op`] : [];
    text = toDax(input.ops, { ...(input.description !== undefined ? { description: input.description } : {}), profile: input.profile ?? recordedProfile(input.kernel), comments, file: args.file });
  } else {
    if (input.format !== 'dax') throw new UsageError(`${args.file} is not a scenario (.dax): give one, or --to-dax to convert this file into one`);
    text = formatJsonl({ kind: 'ops', profile: input.profile, ...(input.description !== undefined ? { description: input.description } : {}) }, input.ops);
  }
  if (args.out !== undefined) await writeFileAtomic(args.out, text, { inputs: [input.file] });
  else ctx.io.stdout(text);
  ctx.exit(EXIT.ok);
}

/** The yargs module of `ops`. */
export function opsCommand(ctx: CliContext): CommandModule<object, OpsArgs> {
  return {
    command: 'ops <file>',
    describe: 'Print a .dax scenario as Op JSONL, or (--to-dax) an Op JSONL file or a recorded trace as a .dax scenario',
    builder: (y: Argv) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: '.dax scenario (or, with --to-dax, Op JSONL or a recorded trace)' })
        .option('to-dax', { type: 'boolean', default: false, describe: 'convert Op JSONL or a trace into a .dax scenario' })
        .option('out', { type: 'string', describe: 'write to FILE (atomically) instead of stdout' }) as unknown as Argv<OpsArgs>,
    handler: (args) => runOps(args, ctx),
  };
}
