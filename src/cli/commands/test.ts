/**
 * `dax-refsim test <file.dax…> [--as MODEL]`: runs each scenario's `expect` lines, the
 * way `corpus` does for its cases, so a scenario written by hand or printed by
 * `minimize` or `explore` is a regression test on its own. One line per expectation
 * (`file:line: expect …: holds|FAILS (actual)`), then a count. `--as MODEL` checks
 * every model line (`expect legacy@6.1: …`) on MODEL instead, to see that a test tells
 * two kernels apart; diff lines keep their pair. Exit 0 when every line holds, 1 when
 * one fails, 2 on bad input (a file with no expect line included).
 */
import type { Argv, CommandModule } from 'yargs';
import { modelFor } from '../../models/index.ts';
import { isDaxFile, locatingDaxOps, readDaxFile } from '../../io/dax-file.ts';
import { checkExpectations, formatExpectResult } from '../../scenario/expect.ts';
import type { Expectation } from '../../scenario/types.ts';
import { EXIT, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { resolveInput } from './op-input.ts';

/** The test command's arguments. */
export interface TestArgs {
  readonly files: readonly string[];
  readonly as?: string;
}

/** A model line moved to `model` (its text says so); a diff line as it is. */
function retarget(e: Expectation, model: string): Expectation {
  if (e.target !== 'model') return e;
  return { ...e, model, text: `${e.text} (on ${model})` };
}

/** Runs the test command. */
export async function runTest(args: TestArgs, ctx: CliContext): Promise<void> {
  const as = args.as === undefined ? undefined : modelFor(args.as).name;
  const out: string[] = [];
  let held = 0;
  let total = 0;
  for (const input of args.files) {
    const file = resolveInput(input);
    if (!isDaxFile(file)) throw new UsageError(`${file} is not a scenario (.dax): test checks the expect lines of one`);
    const s = readDaxFile(file);
    if (s.expects.length === 0) throw new UsageError(`${file} has no expect line: nothing to test (expect MODEL: …, expect diff: …)`);
    const expects = as === undefined ? s.expects : s.expects.map((e) => retarget(e, as));
    // an Op over its bound: named at its `N pages` in the scenario
    for (const r of await locatingDaxOps(s, () => checkExpectations(s.ops, expects))) {
      out.push(formatExpectResult(file, r));
      total++;
      if (r.holds) held++;
    }
  }
  out.push(`${held} of ${total} expectation(s) hold${held === total ? '' : `, ${total - held} fail`}`);
  ctx.io.stdout(`${out.join('\n')}\n`);
  ctx.exit(held === total ? EXIT.ok : EXIT.findings);
}

/** The yargs module of `test`. */
export function testCommand(ctx: CliContext): CommandModule<object, TestArgs> {
  return {
    command: 'test <files..>',
    describe: 'Check the expect lines of .dax scenarios (a scenario is a test); --as MODEL checks the model lines on another kernel',
    builder: (y: Argv) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: '.dax scenarios (or case folders holding a scenario.dax)' })
        .option('as', { type: 'string', describe: 'check every "expect MODEL:" line on this profile instead (legacy, unified, legacy@6.1)' }) as unknown as Argv<TestArgs>,
    handler: (args) => runTest(args, ctx),
  };
}
