/**
 * `dax-refsim scenarios`: lists the built-in scenario corpus (replays/), one case
 * name per line, or with `--format json` each case's description, Op count and
 * expected files.
 */
import type { Argv, CommandModule } from 'yargs';
import { listCases, readCase } from '../../io/corpus.ts';
import { prettyJson } from '../../report/replay-json.ts';
import { EXIT, type CliContext } from '../context.ts';
import { corpusRoot } from './corpus-root.ts';

/** The scenarios command's arguments. */
export interface ScenariosArgs {
  readonly root?: string;
  readonly format: 'text' | 'json';
}

/** Lists the cases. */
export function runScenarios(args: ScenariosArgs, ctx: CliContext): void {
  const root = args.root ?? corpusRoot();
  const names = listCases(root);
  if (args.format === 'json') {
    const cases = names.map((name) => {
      const c = readCase(root, name);
      return { name, description: c.description, ops: c.ops.length, expected: c.expected };
    });
    ctx.io.stdout(`${prettyJson(cases)}\n`);
  } else ctx.io.stdout(names.map((n) => `${n}\n`).join(''));
  ctx.exit(EXIT.ok);
}

/** The yargs module of `scenarios`. */
export function scenariosCommand(ctx: CliContext): CommandModule<object, ScenariosArgs> {
  return {
    command: 'scenarios',
    describe: 'List the built-in scenario corpus (one case per line)',
    builder: (y: Argv) =>
      y
        .option('root', { type: 'string', describe: 'corpus folder (default: the built-in replays/)' })
        .option('format', { choices: ['text', 'json'] as const, default: 'text' as const }) as unknown as Argv<ScenariosArgs>,
    handler: (args) => runScenarios(args, ctx),
  };
}
