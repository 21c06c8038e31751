/**
 * `dax-refsim replay <file>`: replays a JSONL stream (RefEvents as recorded, or Ops
 * through a model) or a recorded page_ref trace (ftrace / trace-cmd text, told by
 * content) and prints the final state's folios and the findings, or the state after
 * input N (`--at`), narrowed to one folio (`--pfn`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { EvidenceCollector, evidenceWarning } from '../../check/evidence.ts';
import { priorCount, type PageRefRead } from '../../trace/page-ref-events.ts';
import type { PgmapType } from '../../events/op.ts';
import { replayFile, sniffFormat, sniffJsonl, FileNotFoundError, type ReplayFileResult } from '../../engine/replay.ts';
import { refuseStdin } from '../../io/open-input.ts';
import { formatIssue } from '../../trace/issues.ts';
import { splitAtLoss } from '../../engine/loss.ts';
import { formatJsonlIssue } from '../../events/issues.ts';
import { modelFor, parseKconfig, type Kconfig, type RefcountModel } from '../../models/index.ts';
import { batched, replayJsonChunks, type ReplayReportInput } from '../../report/replay-json.ts';
import { formatReplayText } from '../../report/replay-text.ts';
import { checkOutputTarget, writeFileAtomic } from '../../io/write-file.ts';
import { IssueList, markPartial, MAX_PRINTED_ISSUES, partialOf, type PartialInput } from '../issue-list.ts';
import { withInputProgress } from '../progress.ts';
import { EXIT, parsePfnArg, type CliContext } from '../context.ts';
import { assertNotEmpty, InputIssues, UsageError } from '../errors.ts';
import { opsOf } from './diff.ts';
import { isDaxFile, locatingDaxOps, readDaxFile } from '../../io/dax-file.ts';
import { runOps } from '../../engine/runner.ts';
import { opHolders, refHolders } from '../../holders/replay-holders.ts';

/** The replay command's arguments. */
export interface ReplayArgs {
  readonly file: string;
  readonly model?: string;
  readonly kernel?: string;
  readonly kconfig?: string;
  readonly at?: string;
  readonly pfn?: string;
  readonly pages: boolean;
  readonly format: 'text' | 'json';
  readonly out?: string;
  readonly lenient?: boolean;
  readonly quiet?: boolean;
}


/** `--kconfig KEY=VAL,…` or a path to a .config-style file. */
function readKconfig(arg: string | undefined): { kconfig: Kconfig; file?: string } {
  if (arg === undefined) return { kconfig: {} };
  if (existsSync(arg) && statSync(arg).isFile()) return { kconfig: parseKconfig(readFileSync(arg, 'utf8')), file: arg };
  if (!arg.includes('=')) throw new UsageError(`--kconfig ${arg}: not found (expected KEY=VAL,… or a .config file)`);
  return { kconfig: parseKconfig(arg) };
}

/**
 * The model: --model/--kernel when given; for an Op file without them, the
 * header's profile; an Op file with neither is a usage error.
 */
function chooseModel(args: ReplayArgs, kind: string | undefined, header: { profile: string | null; kconfig?: Kconfig } | undefined, kconfig: Kconfig): RefcountModel | undefined {
  const spec = args.model ?? (args.kernel === undefined && kind === 'ops' ? (header?.profile ?? undefined) : undefined);
  if (spec === undefined && args.kernel === undefined) {
    if (kind === 'ops') throw new UsageError(`${args.file} holds Ops and its header names no profile: give --model legacy|unified|<family>@<version>`);
    return undefined;
  }
  return modelFor(spec, { ...(args.kernel !== undefined ? { kernel: args.kernel } : {}), kconfig: { ...(header?.kconfig ?? {}), ...kconfig } });
}

/** Runs the replay command; reports its exit code through `ctx`, throws input errors. */
export async function runReplay(args: ReplayArgs, ctx: CliContext): Promise<void> {
  const file = args.file;
  // a bad --out fails before any work, not after a long replay
  if (args.out !== undefined) checkOutputTarget(args.out);
  refuseStdin(file);
  if (!existsSync(file) || !statSync(file).isFile()) throw new FileNotFoundError(`${file}: not found`);
  assertNotEmpty(file);
  const { kconfig, file: kconfigFile } = readKconfig(args.kconfig);
  const pfn = args.pfn === undefined ? undefined : parsePfnArg('pfn', args.pfn);
  const at = args.at === undefined ? undefined : parseAt(args.at);
  if (isDaxFile(file)) {
    // a scenario is small: parse it whole and replay its first N Ops in memory
    const s = readDaxFile(file);
    if (s.profile === null && args.model === undefined && args.kernel === undefined) throw new UsageError(`${file} is a scenario with no "profile" line: give --model legacy|unified|<family>@<version>`);
    const m = chooseModel(args, 'ops', { profile: s.profile }, kconfig)!;
    if (at !== undefined && at > s.ops.length) throw new UsageError(`--at ${at}: ${file} has only ${s.ops.length} Ops`);
    // an Op over its bound: named at its `N pages` in the scenario
    const run = await locatingDaxOps(s, () => runOps(m, s.ops.slice(0, at ?? s.ops.length)));
    const holders = args.format === 'json' ? await locatingDaxOps(s, () => opHolders(m, s.ops.slice(0, at ?? s.ops.length))) : undefined;
    const report = { profile: m.profile.name, kconfig: m.profile.kconfig, events: at ?? s.ops.length, state: run.state, findings: run.findings, ...(pfn !== undefined ? { pfn } : {}), pages: args.pages, ...(holders ? { holders } : {}) };
    return writeReport(args, ctx, report, kconfigFile ? [file, kconfigFile] : [file]);
  }
  const format = await sniffFormat(file);
  const bad = new IssueList(file);
  let model: RefcountModel | undefined;
  let full: ReplayFileResult;
  let opFile = false;
  if (format === 'trace') {
    // a trace's model: --model/--kernel, else the profile of the kernel its header names
    model = args.model !== undefined || args.kernel !== undefined ? chooseModel(args, 'refevents', undefined, kconfig) : undefined;
    // which model recorded it, from the events themselves (check/evidence.ts)
    const evidence = new EvidenceCollector();
    const onEvent = (r: PageRefRead, line: number, type: PgmapType | null): void => evidence.pageRef(line, r.pfn, priorCount(r), r.mapcount ?? null, r.head ?? null, type, r);
    full = await replayFile(file, { ...(model ? { model } : {}), kconfig, maxIssues: MAX_PRINTED_ISSUES, ...noCheckpoints(at), onEvent });
    model = full.model;
    const t = full.trace!;
    if (model !== undefined) {
      const source = args.model !== undefined ? `--model ${args.model}` : args.kernel !== undefined ? `--kernel ${args.kernel}` : `the header's kernel=${t.header?.kernel ?? '?'}`;
      const w = evidenceWarning(model.profile.family, model.profile.name, source, evidence.list);
      if (w !== null) ctx.io.stderr(`dax-refsim: warning: ${w}\n`);
    }
    for (const a of t.assumptions) ctx.io.stderr(`dax-refsim: assumption: ${a}\n`);
    bad.addAll(t.issues.filter((i) => i.severity === 'error').map(formatIssue), t.errorCount);
    if (bad.count > 0 && !args.lenient) throw new InputIssues(bad.lines());
    for (const i of t.issues) if (i.severity !== 'error') ctx.io.stderr(`${formatIssue(i)}\n`);
    // a kprobe recording (stock kernel) has no page_ref event: "no folio was written,
    // findings: none" would read as a clean run, when nothing in it was replayed
    const pageRef = t.header?.kconfig['CONFIG_DEBUG_PAGE_REF'] ?? t.header?.kconfig['DEBUG_PAGE_REF'];
    const why = pageRef === 'n' ? 'its header says CONFIG_DEBUG_PAGE_REF=n' : 'recorded without CONFIG_DEBUG_PAGE_REF?';
    if (full.inputs === 0) ctx.io.stderr(`dax-refsim: note: ${file} has no page_ref event (${why}): replay reads page_ref events only, so nothing was replayed; \`dax-refsim check ${file}\` compares its probe events and snaps\n`);
  } else {
    const sniffed = await sniffJsonl(file);
    if (sniffed.issue) throw new InputIssues([formatJsonlIssue(sniffed.issue)]);
    model = chooseModel(args, sniffed.kind, sniffed.header, kconfig);
    opFile = sniffed.kind === 'ops';
    full = await replayFile(file, { ...(model ? { model } : {}), maxIssues: MAX_PRINTED_ISSUES, ...noCheckpoints(at) });
    bad.addAll(full.issues.map(formatJsonlIssue), full.issueCount);
    if (bad.count > 0 && !args.lenient) throw new InputIssues(bad.lines());
  }
  // --lenient: the bad lines were skipped; say so, and mark the report partial
  for (const l of bad.lines()) ctx.io.stderr(`skipped (--lenient): ${l}\n`);
  // with --at N the replay stopped right after input N: its state and findings are N's
  const state = full.state;
  // from the first lost event on, a finding may be the loss's doing: unknown, not a finding (engine/loss.ts)
  const { findings, unknown } = splitAtLoss(full.findings, full.lost);
  const events = full.inputs;
  if (at !== undefined && at > full.inputs) throw new UsageError(`--at ${at}: ${file} has only ${full.inputs} input events`);
  const report: ReplayReportInput = {
    profile: model?.profile.name ?? null,
    kconfig: model ? model.profile.kconfig : kconfig,
    events, state, findings,
    ...(full.lost ? { lost: { losses: full.lost, unknown } } : {}),
    ...(pfn !== undefined ? { pfn } : {}),
    pages: args.pages,
    // a trace replays its page_ref events only: what they cannot show prints as unknown (PAGE_REF_UNTRACKED)
    ...(format === 'trace' ? { pageRefTrace: true } : {}),
  };
  if (args.format === 'json') {
    // holders: a second pass over an Op file (the tracker stays off the fold's hot path);
    // a RefEvent file or trace has no Ops to attribute to
    const holders = opFile && model ? await opHolders(model, opsOf(file, new IssueList(file)), at) : refHolders(state);
    Object.assign(report, { holders });
  }
  await writeReport(args, ctx, report, kconfigFile ? [file, kconfigFile] : [file], partialOf(bad));
}

/** Prints (or writes with --out) the report; exit 1 when it holds findings. */
async function writeReport(args: ReplayArgs, ctx: CliContext, report: ReplayReportInput, inputs: readonly string[], partial?: PartialInput): Promise<void> {
  // the JSON report is written as it is made (a folio at a time, in ~256 KiB writes), never built whole
  const pieces = args.format === 'json' ? batched(replayJsonChunks(report, partial)) : [markPartial(formatReplayText(report), args.format, partial)];
  if (args.out !== undefined) await writeFileAtomic(args.out, pieces, { inputs });
  else for (const piece of pieces) ctx.io.stdout(piece);
  ctx.exit(report.findings.length > 0 ? EXIT.findings : EXIT.ok);
}

/**
 * A replay keeps no checkpoints (nothing reads them); with --at N it stops right after
 * input N instead of reading the rest of the file (issue 16: it replayed everything
 * and then re-folded from a checkpoint), so bad lines after N are not read either.
 */
function noCheckpoints(at: number | undefined): { checkpointEvery: number; stopAt?: number } {
  return at === undefined ? { checkpointEvery: 0 } : { checkpointEvery: 0, stopAt: at };
}

function parseAt(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--at ${text}: expected a non-negative integer (an input event count)`);
  return Number(text);
}

/** The yargs module of `replay`. */
export function replayCommand(ctx: CliContext): CommandModule<object, ReplayArgs> {
  return {
    command: 'replay <file>',
    describe: 'Replay a JSONL stream of RefEvents (or Ops through a model), or a page_ref trace; print folios and findings',
    builder: (y: Argv) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'JSONL file (RefEvents, or Ops with a model), a .dax scenario (with a model), or ftrace/trace-cmd text with page_ref events' })
        .option('model', { type: 'string', describe: 'legacy | unified | <family>@<version> (required for Op files without a header profile)' })
        .option('kernel', { type: 'string', describe: 'kernel version to pick the profile by, e.g. 6.12' })
        .option('kconfig', { type: 'string', describe: 'KEY=VAL,… or a kernel .config file' })
        .option('at', { type: 'string', describe: 'print the state after input event N' })
        .option('pfn', { type: 'string', describe: 'only the folio containing this pfn (0x… or decimal; a tail resolves to its head)' })
        .option('pages', { type: 'boolean', default: false, describe: 'add the written pages of each folio' })
        .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' })
        .option('out', { type: 'string', describe: 'write the report to FILE (atomically) instead of stdout' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar on stderr' }) as unknown as Argv<ReplayArgs>,
    handler: (args) => withInputProgress('replay', args.file, args.quiet, ctx, (c) => runReplay(args, c)),
  };
}
