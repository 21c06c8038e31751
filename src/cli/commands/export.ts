/**
 * `dax-refsim export <input> --perfetto out.json`: the run under each model as
 * Chrome Trace Event JSON for ui.perfetto.dev / chrome://tracing (src/visual/perfetto.ts),
 * streamed to the file.
 */
import type { Argv, CommandModule } from 'yargs';
import { EXIT, type CliContext } from '../context.ts';
import { readVisualInput } from './visual-input.ts';
import { checkOutputTarget } from '../../io/write-file.ts';
import { writeStreamAtomic } from '../../io/write-stream.ts';
import { writePerfetto } from '../../visual/perfetto.ts';
import { diffOps } from '../../diff/diff-runs.ts';
import { opTimes } from './trace-times.ts';
import { progress } from '../progress.ts';
import { locatingOpBounds } from '../op-bound-position.ts';

/** The export command's arguments. */
export interface ExportArgs {
  readonly input: string;
  readonly perfetto: string;
  readonly models?: string;
  readonly kconfig?: string;
  readonly quiet?: boolean;
}

/** Runs the export. Exit 0 (1 when a reference is left held: a possible leak). */
export async function runExport(args: ExportArgs, ctx: CliContext): Promise<void> {
  checkOutputTarget(args.perfetto, '--perfetto');
  const { input, models } = await readVisualInput(args.input, args.models, args.kconfig, { pair: true, command: 'export' });
  const times = opTimes(input);
  // the timeline asks each Op's time once per model: that is the bar's tick
  const bar = progress('export', input.ops.length * models.length, args.quiet ?? false);
  const tsOf = (op: Parameters<typeof times>[0]): number => (bar.tick(), times(op));
  const divergences = models.length === 2 ? diffOps(models[0]!, models[1]!, input.ops).divergences : undefined;
  const summary = writeStreamAtomic(args.perfetto, [input.file], (write) => writePerfetto(models, input.ops, tsOf, divergences, write));
  bar.stop();
  ctx.io.stderr(`${args.perfetto}: ${summary.events} trace events, ${models.map((m) => m.profile.name).join(' and ')}, ${summary.leaks.length} reference slice(s) left open (possible leaks)\n`);
  ctx.exit(summary.leaks.length > 0 ? EXIT.findings : EXIT.ok);
}

/** The yargs module of `export`. */
export function exportCommand(ctx: CliContext): CommandModule<object, ExportArgs> {
  return {
    command: 'export <input>',
    describe: 'Write the run as Chrome Trace Event JSON (Perfetto): counters per folio, a slice per held reference, findings and divergences',
    builder: (y: Argv) =>
      y
        .positional('input', { type: 'string', demandOption: true, describe: 'a .dax scenario, a scenario folder, an Op JSONL file or a recorded trace' })
        .option('perfetto', { type: 'string', demandOption: true, describe: 'the JSON file to write' })
        .option('models', { type: 'string', describe: 'profiles, comma-separated (default legacy,unified)' })
        .option('kconfig', { type: 'string', describe: 'KEY=VAL,… applied to the profiles' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar on stderr' }) as unknown as Argv<ExportArgs>,
    handler: (args) => locatingOpBounds(args.input, () => runExport(args, ctx)),
  };
}
