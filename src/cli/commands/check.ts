/**
 * `dax-refsim check <trace> [--against <reference>]`: replays a recorded trace under
 * the profile its header names (or `--model`/`--kernel`/`--kconfig`) and compares every
 * observation (probe fields at their function's entry or return, snap lines, page_ref
 * counts) with the simulated state; with `--against`, replays the trace under the
 * reference trace's profile and compares with the reference's snap lines phase by phase.
 * Exit 0 when nothing mismatches, 1 on any mismatch, 2 on bad input.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { checkTraceAgainst, checkTraceFile } from '../../check/check-file.ts';
import { checkJson } from '../../check/result.ts';
import { formatCheckText } from '../../check/report-text.ts';
import type { CheckOptions } from '../../check/run-check.ts';
import { FileNotFoundError } from '../../engine/replay.ts';
import { checkOutputTarget, writeFileAtomic } from '../../io/write-file.ts';
import { parseKconfig, type Kconfig } from '../../models/index.ts';
import { prettyJson } from '../../report/replay-json.ts';
import { formatIssue } from '../../trace/issues.ts';
import { EXIT, type CliContext } from '../context.ts';
import { InputIssues, UsageError } from '../errors.ts';

/** The check command's arguments. */
export interface CheckArgs {
  readonly trace: string;
  readonly against?: string;
  readonly model?: string;
  readonly kernel?: string;
  readonly kconfig?: string;
  readonly 'vmemmap-base'?: string;
  readonly format: 'text' | 'json';
  readonly out?: string;
}

/** Most reader issues printed before the rest are only counted. */
const MAX_PRINTED_ISSUES = 20;

function requireFile(path: string): void {
  if (!existsSync(path) || !statSync(path).isFile()) throw new FileNotFoundError(`${path}: not found`);
}

/** `--kconfig KEY=VAL,…` or a path to a kernel .config. */
function readKconfig(arg: string | undefined): Kconfig | undefined {
  if (arg === undefined) return undefined;
  if (existsSync(arg) && statSync(arg).isFile()) return parseKconfig(readFileSync(arg, 'utf8'));
  if (!arg.includes('=')) throw new UsageError(`--kconfig ${arg}: not found (expected KEY=VAL,… or a .config file)`);
  return parseKconfig(arg);
}

function parseBase(arg: string | undefined): bigint | undefined {
  if (arg === undefined) return undefined;
  if (!/^0x[0-9a-f]+$/i.test(arg.trim())) throw new UsageError(`--vmemmap-base ${arg}: expected a hex address (0xffffea0000000000)`);
  return BigInt(arg.trim());
}

/** Runs the check command; reports its exit code through `ctx`, throws input errors. */
export async function runCheck(args: CheckArgs, ctx: CliContext): Promise<void> {
  requireFile(args.trace);
  // a bad --out fails before any work, not after a long replay
  if (args.out !== undefined) checkOutputTarget(args.out);
  if (args.against !== undefined) requireFile(args.against);
  const kconfig = readKconfig(args.kconfig);
  const vmemmapBase = parseBase(args['vmemmap-base']);
  const opts: CheckOptions = {
    ...(args.model !== undefined ? { model: args.model } : {}),
    ...(args.kernel !== undefined ? { kernel: args.kernel } : {}),
    ...(kconfig !== undefined ? { kconfig } : {}),
    ...(vmemmapBase !== undefined ? { vmemmapBase } : {}),
  };
  // --against: the trace's Ops under the reference's profile; its lines are the reference's
  const run = args.against !== undefined ? await checkTraceAgainst(args.trace, args.against, opts) : await checkTraceFile(args.trace, opts);
  const errors = run.issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) {
    const lines = errors.slice(0, MAX_PRINTED_ISSUES).map(formatIssue);
    if (errors.length > MAX_PRINTED_ISSUES) lines.push(`… and ${errors.length - MAX_PRINTED_ISSUES} more`);
    throw new InputIssues(lines);
  }
  for (const w of run.issues.slice(0, MAX_PRINTED_ISSUES)) ctx.io.stderr(`${formatIssue(w)}\n`);
  const o = run.outcome;
  const linesOf = args.against ?? args.trace;
  const wanted = new Set([...o.mismatches.map((m) => m.line)]);
  const text = args.format === 'json' ? `${prettyJson(checkJson(o))}\n` : formatCheckText(linesOf, o, lineReader(linesOf, wanted));
  if (args.out !== undefined) await writeFileAtomic(args.out, text, { inputs: args.against !== undefined ? [args.trace, args.against] : [args.trace] });
  else ctx.io.stdout(text);
  ctx.exit(o.mismatches.length > 0 ? EXIT.findings : EXIT.ok);
}

/** The text of the wanted lines of a file (read once, only when there are some). */
function lineReader(path: string, wanted: ReadonlySet<number>): (line: number) => string | undefined {
  if (wanted.size === 0) return () => undefined;
  const lines = readFileSync(path, 'utf8').split('\n');
  return (line) => (wanted.has(line) ? lines[line - 1] : undefined);
}

/** The yargs module of `check`. */
export function checkCommand(ctx: CliContext): CommandModule<object, CheckArgs> {
  return {
    command: 'check <trace>',
    describe: 'Replay a recorded ftrace / trace-cmd trace under its kernel\'s model and compare every observation (or predict --against another kernel\'s trace)',
    builder: (y: Argv) =>
      y
        .positional('trace', { type: 'string', demandOption: true, describe: 'recorded trace (tracefs text or trace-cmd report output)' })
        .option('against', { type: 'string', describe: 'replay <trace> under this trace\'s profile and compare with its snap lines, phase by phase' })
        .option('model', { type: 'string', describe: 'legacy | unified | <family>@<version> instead of the header\'s kernel' })
        .option('kernel', { type: 'string', describe: 'kernel release to pick the profile by, e.g. 6.12 (default: the header\'s)' })
        .option('kconfig', { type: 'string', describe: 'KEY=VAL,… or a kernel .config file (on top of the header\'s # kconfig:)' })
        .option('vmemmap-base', { type: 'string', describe: 'VMEMMAP_START of the recording kernel (default 0xffffea0000000000)' })
        .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' })
        .option('out', { type: 'string', describe: 'write the report to FILE (atomically) instead of stdout' }) as unknown as Argv<CheckArgs>,
    handler: (args) => runCheck(args, ctx),
  };
}
