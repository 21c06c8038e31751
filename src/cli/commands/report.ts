/**
 * `dax-refsim report <input> --html out.html`: the self-contained HTML page of the
 * run under each model (src/visual/html.ts), with the diff of two.
 */
import type { Argv, CommandModule } from 'yargs';
import { EXIT, type CliContext } from '../context.ts';
import { readVisualInput } from './visual-input.ts';
import { checkOutputTarget, writeFileAtomic } from '../../io/write-file.ts';
import { htmlReport } from '../../visual/html.ts';
import { diffOps } from '../../diff/diff-runs.ts';
import { opTimes } from './trace-times.ts';
import { progress } from '../progress.ts';

/** The report command's arguments. */
export interface ReportArgs {
  readonly input: string;
  readonly html: string;
  readonly models?: string;
  readonly kconfig?: string;
  readonly quiet?: boolean;
}

/** Runs the report. Exit 0, or 1 when the models diverge or report findings. */
export async function runReport(args: ReportArgs, ctx: CliContext): Promise<void> {
  checkOutputTarget(args.html);
  const { input, models } = await readVisualInput(args.input, args.models ?? 'legacy,unified', args.kconfig);
  const diff = models.length === 2 ? diffOps(models[0]!, models[1]!, input.ops) : undefined;
  const times = opTimes(input);
  const bar = progress('report', input.ops.length * models.length, args.quiet ?? false);
  const page = htmlReport({
    title: `dax-refsim report: ${input.description ?? input.file}`,
    file: input.file, models, ops: input.ops, tsOf: (op) => (bar.tick(), times(op)), timeUnit: input.format === 'trace' ? 'µs' : 'Op',
    divergences: diff?.divergences ?? [], ...(diff ? { summary: diff.summary } : {}),
  });
  bar.stop();
  await writeFileAtomic(args.html, page, { inputs: [input.file] });
  ctx.io.stderr(`${args.html}: ${page.length} bytes, ${input.ops.length} Ops, ${diff?.divergences.length ?? 0} divergences\n`);
  ctx.exit((diff?.divergences.length ?? 0) > 0 ? EXIT.findings : EXIT.ok);
}

/** The yargs module of `report`. */
export function reportCommand(ctx: CliContext): CommandModule<object, ReportArgs> {
  return {
    command: 'report <input>',
    describe: 'Write a self-contained HTML report: timelines of both models, holders on click, divergences and findings',
    builder: (y: Argv) =>
      y
        .positional('input', { type: 'string', demandOption: true, describe: 'a .dax scenario, a scenario folder, an Op JSONL file or a recorded trace' })
        .option('html', { type: 'string', demandOption: true, describe: 'the HTML file to write' })
        .option('models', { type: 'string', describe: 'profiles, comma-separated (default legacy,unified)' })
        .option('kconfig', { type: 'string', describe: 'KEY=VAL,… applied to the profiles' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar on stderr' }) as unknown as Argv<ReportArgs>,
    handler: (args) => runReport(args, ctx),
  };
}
