/**
 * `dax-refsim explore <file.dax> [--models a,b] [--max-interleavings N]`: replays every
 * interleaving of a scenario's threads (program order kept, partial-order reduction
 * for Ops on disjoint folios) under the models, and reports each finding, hang (a
 * layout breaker still waiting at the end) and divergence class with the number of
 * interleavings that show it and the shortest example as a `.dax` scenario. Exit 0
 * when no interleaving gives a finding or a hang, 1 when one does, 2 on bad input.
 */
import type { Argv, CommandModule } from 'yargs';
import type { Op } from '../../events/op.ts';
import { modelFor } from '../../models/index.ts';
import { writeFileAtomic } from '../../io/write-file.ts';
import { explore, type ExploreResult, type OutcomeSummary } from '../../scenario/explore.ts';
import { toDax } from '../../scenario/emit.ts';
import { diffTarget } from '../../scenario/expect.ts';
import type { DaxScenario } from '../../scenario/types.ts';
import { EXIT, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { readOpInput } from './op-input.ts';
import { locatingDaxOps } from '../../io/dax-file.ts';

/** The explore command's arguments. */
export interface ExploreArgs {
  readonly file: string;
  readonly models?: string;
  readonly 'max-interleavings': number;
  readonly out?: string;
}

/**
 * The expect line an example ends with. A divergence names the pair it was found
 * between (`legacy@6.1 vs unified@7.2:`), since `expect diff:` checks legacy against
 * unified and would fail on a divergence only another pair shows.
 */
function expectLine(o: OutcomeSummary): string {
  if (o.what === 'hang') return `${o.model}: waiting`;
  if (o.what.startsWith('finding ')) return `${o.model}: ${o.what}`;
  return `${diffTarget(o.model)}: ${o.what.slice('divergence '.length)}`;
}

/** The report: the counts, one line per outcome, then each shortest example. */
export function exploreText(file: string, s: DaxScenario, r: ExploreResult, models: readonly string[]): string {
  const lines: string[] = [];
  const threads = r.threads.map((t) => `${t.name}: ${t.ops.length}`).join(', ');
  lines.push(`${file}: ${r.threads.length} thread(s) (${threads}) and ${r.barriers.length} Op(s) without a thread (ordered against all others); models ${models.join(', ')}`);
  // the reduction is named only when it skipped orders, and not when the bound stopped
  // the search: then the orders not replayed include some no explored one stands for
  const skipped = r.total - BigInt(r.explored);
  const por = !r.bounded && skipped > 0n ? ` (partial-order reduction: each of the other ${skipped} differs from one explored only in the order of Ops on disjoint folios)` : '';
  lines.push(`explored ${r.explored} interleaving(s) of ${r.total} that keep each thread's order${por}`);
  if (r.bounded) lines.push(`stopped at --max-interleavings ${r.explored}: the outcomes below cover only the interleavings explored`);
  lines.push('');
  const none = r.bounded ? `in the ${r.explored} interleaving(s) explored` : 'in any interleaving';
  for (const m of models) {
    const mine = r.outcomes.filter((o) => o.model === m);
    if (!mine.some((o) => o.what === 'hang')) lines.push(`${m}: no hang ${none}`);
    if (!mine.some((o) => o.what.startsWith('finding '))) lines.push(`${m}: no finding ${none}`);
  }
  for (const o of r.outcomes) lines.push(`${o.model}: ${o.what} in ${o.count} of ${r.explored} interleaving(s)`);
  for (const o of r.outcomes) {
    const ops: Op[] = o.example.map((i, k) => ({ ...s.ops[i]!, seq: k + 1 }));
    const dax = toDax(ops, {
      description: `${o.what} on ${o.model}: ${o.example.length} Op${o.example.length === 1 ? '' : 's'} of an interleaving of ${file}`,
      ...(o.model.includes(' vs ') ? {} : { profile: o.model }),
      threads: o.example.map((i) => s.threads[i] ?? null),
      expects: [expectLine(o)],
      file,
    });
    lines.push('', `== ${o.model}: ${o.what} (${o.count} of ${r.explored}); the shortest:`, dax.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The models without --models: the scenario's profile against the other family (a
 * scenario about 6.1's O_DIRECT completion says `profile legacy@6.1`, and explored
 * under legacy@6.14 would show nothing), else legacy and unified.
 */
export function defaultModels(profile: string | null): string[] {
  if (profile === null) return ['legacy', 'unified'];
  return modelFor(profile).profile.family === 'legacy' ? [profile, 'unified'] : ['legacy', profile];
}

/** Runs the explore command. */
export async function runExplore(args: ExploreArgs, ctx: CliContext): Promise<void> {
  const max = args['max-interleavings'];
  if (!Number.isSafeInteger(max) || max < 1) throw new UsageError(`--max-interleavings ${max}: expected a positive integer`);
  const input = await readOpInput(args.file, 'explore');
  if (!input.scenario) throw new UsageError(`${args.file} is not a scenario (.dax): explore needs its threads`);
  const names = args.models === undefined ? defaultModels(input.scenario.profile) : args.models.split(',').map((x) => x.trim()).filter(Boolean);
  if (names.length < 1) throw new UsageError(`--models ${args.models}: expected one or more profiles, e.g. legacy@6.1,unified`);
  const models = names.map((n) => modelFor(n));
  const scenario = input.scenario;
  // an Op over its bound: named at its `N pages` in the scenario
  const r = await locatingDaxOps(scenario, () => explore(scenario.ops, scenario.threads, { models, diff: models.length >= 2, maxInterleavings: max }));
  if (r.bounded) ctx.io.stderr(`explore: stopped at --max-interleavings ${max}: replayed ${r.explored} of the ${r.total} interleavings that keep each thread's order; the report covers only those\n`);
  const text = exploreText(args.file, input.scenario, r, models.map((m) => m.name));
  if (args.out !== undefined) await writeFileAtomic(args.out, text, { inputs: [input.file] });
  else ctx.io.stdout(text);
  ctx.exit(r.outcomes.some((o) => !o.what.startsWith('divergence ')) ? EXIT.findings : EXIT.ok);
}

/** The yargs module of `explore`. */
export function exploreCommand(ctx: CliContext): CommandModule<object, ExploreArgs> {
  return {
    command: 'explore <file>',
    describe: 'Replay every interleaving of a .dax scenario\'s threads; report findings, hangs and divergences with the shortest example of each',
    builder: (y: Argv) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: '.dax scenario with threads (A:, A.1:, B:)' })
        .option('models', { type: 'string', describe: 'profiles to replay under (two or more: also their diff); default: the scenario\'s profile and the other family, else legacy,unified' })
        .option('max-interleavings', { type: 'number', default: 10000, describe: 'stop after this many interleavings' })
        .option('out', { type: 'string', describe: 'write the report to FILE (atomically)' }) as unknown as Argv<ExploreArgs>,
    handler: (args) => runExplore(args, ctx),
  };
}
