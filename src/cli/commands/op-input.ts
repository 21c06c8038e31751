/**
 * The Ops of any input a scenario command takes (`ops`, `minimize`, `explore`): a
 * `.dax` scenario, an Op JSONL file, a case folder (its scenario.dax, else its
 * ops.jsonl), or a recorded trace lifted to Ops. Read whole: scenarios and the traces
 * these commands shrink are small.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Op } from '../../events/op.ts';
import { JsonlDecoder } from '../../events/jsonl-decoder.ts';
import { formatJsonlIssue } from '../../events/issues.ts';
import { FileNotFoundError, sniffFormat } from '../../engine/replay.ts';
import { refuseStdin } from '../../io/open-input.ts';
import { liftForDiff, requireOps } from '../../lift/lift-file.ts';
import type { OpLines } from '../../lift/types.ts';
import { formatIssue } from '../../trace/issues.ts';
import { isDaxFile, readDaxFile } from '../../io/dax-file.ts';
import { SCENARIO_FILE } from '../../io/corpus.ts';
import type { DaxScenario } from '../../scenario/types.ts';
import { assertNotEmpty, InputIssues } from '../errors.ts';

/** An input's Ops and what came with them. */
export interface OpInput {
  readonly file: string;
  readonly format: 'dax' | 'jsonl' | 'trace';
  readonly ops: readonly Op[];
  readonly description?: string;
  readonly profile: string | null;
  /** For a scenario: its threads and expect lines. */
  readonly scenario?: DaxScenario;
  /** For a trace: the release of the kernel that recorded it. */
  readonly kernel?: string;
  /** For a trace: Op seq → where its records lie (each grabbed page's line), for holders. */
  readonly opLines?: ReadonlyMap<number, OpLines>;
}

/** Most bad lines reported. */
const MAX_ISSUES = 20;

/** Resolves a case folder to its scenario (or JSONL) file; an empty file is refused (EMPTY_INPUT, exit 2) as replay refuses it. */
export function resolveInput(input: string): string {
  refuseStdin(input);
  if (!existsSync(input)) throw new FileNotFoundError(`${input}: not found`);
  if (!statSync(input).isDirectory()) {
    // 0 Ops from 0 bytes would print a report that reads as "all clean"
    assertNotEmpty(input);
    return input;
  }
  for (const f of [SCENARIO_FILE, 'ops.jsonl']) if (existsSync(join(input, f))) return join(input, f);
  throw new FileNotFoundError(`${input}: no ${SCENARIO_FILE} or ops.jsonl in this folder`);
}

/** Reads the Ops of `input` for `command`; bad input, or a trace that cannot give Ops, throws (exit 2). */
export async function readOpInput(input: string, command = 'this command'): Promise<OpInput> {
  const file = resolveInput(input);
  if (isDaxFile(file)) {
    const s = readDaxFile(file);
    return { file, format: 'dax', ops: s.ops, ...(s.description !== undefined ? { description: s.description } : {}), profile: s.profile, scenario: s };
  }
  if ((await sniffFormat(file)) === 'trace') {
    await requireOps(file, command);
    const t = await liftForDiff(file);
    const errors = t.issues.filter((i) => i.severity === 'error');
    if (errors.length) throw new InputIssues(errors.slice(0, MAX_ISSUES).map(formatIssue));
    return { file, format: 'trace', ops: t.ops, profile: null, ...(t.header.kernel ? { kernel: t.header.kernel } : {}), opLines: t.opLines };
  }
  const decoder = new JsonlDecoder(file);
  const ops: Op[] = [];
  const issues: string[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((text, i) => {
    const last = i === lines.length - 1;
    if (last && text === '') return;
    const d = decoder.decode(text, i + 1, !last);
    if (d.kind === 'issue' && issues.length < MAX_ISSUES) issues.push(formatJsonlIssue(d.issue));
    else if (d.kind === 'ref' && issues.length < MAX_ISSUES) issues.push(`${file}:${i + 1}:1 BAD_FIELD holds RefEvents; this command needs Ops (a RefEvent stream is already one model's expansion)`);
    else if (d.kind === 'op') ops.push(d.event);
  });
  if (issues.length) throw new InputIssues(issues);
  const h = decoder.header;
  return { file, format: 'jsonl', ops, ...(h?.description !== undefined ? { description: h.description } : {}), profile: h?.profile ?? null };
}
