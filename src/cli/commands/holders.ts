/**
 * `dax-refsim holders <input>`: who holds each reference of each folio, by origin
 * (src/holders/tracker.ts), under one or more models. Exit 1 when a reference is
 * still held at the end by a GUP get, pin, bio or transient (a possible leak).
 */
import type { Argv, CommandModule } from 'yargs';
import { EXIT, parsePfnArg, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { readVisualInput } from './visual-input.ts';
import { holdersReport, holdersText } from '../../holders/report.ts';
import { locatingOpBounds } from '../op-bound-position.ts';

/** The holders command's arguments. */
export interface HoldersArgs {
  readonly input: string;
  readonly model?: string;
  readonly kconfig?: string;
  readonly pfn?: string;
  readonly at?: string;
}

/** Runs the holders command. */
export async function runHolders(args: HoldersArgs, ctx: CliContext): Promise<void> {
  const pfn = args.pfn === undefined ? undefined : parsePfnArg('pfn', args.pfn);
  if (args.at !== undefined && !/^\d+$/.test(args.at.trim())) throw new UsageError(`--at ${args.at}: expected a non-negative integer (an Op count)`);
  const at = args.at === undefined ? undefined : Number(args.at);
  const { input, models } = await readVisualInput(args.input, args.model, args.kconfig, { command: 'holders' });
  if (at !== undefined && at > input.ops.length) throw new UsageError(`--at ${at}: ${input.file} has only ${input.ops.length} Ops`);
  const reports = models.map((m) => holdersReport(m, input.ops, { ...(at !== undefined ? { at } : {}), ...(pfn !== undefined ? { pfn } : {}), ...(input.opLines ? { opLines: input.opLines } : {}) }));
  ctx.io.stdout(holdersText(input.file, reports));
  ctx.exit(reports.some((r) => r.leaks.length > 0) ? EXIT.findings : EXIT.ok);
}

/** The yargs module of `holders`. */
export function holdersCommand(ctx: CliContext): CommandModule<object, HoldersArgs> {
  return {
    command: 'holders <input>',
    describe: 'Who holds each reference of each folio (mappings, GUP gets and pins, O_DIRECT bios, idle, transient), and possible leaks',
    builder: (y: Argv) =>
      y
        .positional('input', { type: 'string', demandOption: true, describe: 'a .dax scenario, a scenario folder, an Op JSONL file or a recorded trace' })
        .option('model', { type: 'string', describe: 'profile(s), comma-separated (default: the input\'s, else legacy,unified)' })
        .option('kconfig', { type: 'string', describe: 'KEY=VAL,… applied to the profiles' })
        .option('pfn', { type: 'string', describe: 'only the folio containing this pfn' })
        .option('at', { type: 'string', describe: 'the holders after Op N' }) as unknown as Argv<HoldersArgs>,
    handler: (args) => locatingOpBounds(args.input, () => runHolders(args, ctx)),
  };
}
