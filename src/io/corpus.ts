/**
 * The scenario corpus on disk: replays/<case>/scenario.dax (the source: Ops and
 * `expect` lines; ops.jsonl beside it is generated from it) or, for a case without
 * one, replays/<case>/ops.jsonl, plus the expected files. Corpus files are small, so a
 * case is read whole.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Op } from '../events/op.ts';
import { JsonlDecoder } from '../events/jsonl-decoder.ts';
import type { JsonlIssue } from '../events/issues.ts';
import type { Expectation } from '../scenario/types.ts';
import { readDaxFile } from './dax-file.ts';

/** One scenario. */
export interface CorpusCase {
  readonly name: string;
  readonly dir: string;
  readonly description: string;
  readonly ops: readonly Op[];
  /** Expected files present: `expected.legacy.json`, `expected.unified.json`, `expected.diff.json`. */
  readonly expected: readonly string[];
  /** The file the Ops came from (scenario.dax, else ops.jsonl). */
  readonly source: string;
  /** The scenario's `expect` lines (none for an ops.jsonl case). */
  readonly expects: readonly Expectation[];
}

/** The scenario file of a case folder. */
export const SCENARIO_FILE = 'scenario.dax';

/** Bad input in a corpus file. */
export class CorpusError extends Error {
  override readonly name = 'CorpusError';
  readonly issues: readonly JsonlIssue[];
  constructor(message: string, issues: readonly JsonlIssue[] = []) {
    super(message);
    this.issues = issues;
  }
}

/** The case names under `root`, sorted (a case is a folder holding scenario.dax or ops.jsonl). */
export function listCases(root: string): string[] {
  if (!existsSync(root)) throw new CorpusError(`${root}: not found (expected a folder of scenario cases)`);
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && (existsSync(join(root, d.name, SCENARIO_FILE)) || existsSync(join(root, d.name, 'ops.jsonl'))))
    .map((d) => d.name)
    .sort();
}

/** Reads and validates one case. */
export function readCase(root: string, name: string): CorpusCase {
  const dir = join(root, name);
  const expected = readdirSync(dir).filter((f) => /^expected\..+\.json$/.test(f)).sort();
  const dax = join(dir, SCENARIO_FILE);
  if (existsSync(dax)) {
    const s = readDaxFile(dax);
    return { name, dir, description: s.description ?? '', ops: s.ops, expected, source: dax, expects: s.expects };
  }
  const file = join(dir, 'ops.jsonl');
  if (!existsSync(file)) throw new CorpusError(`${file}: not found`);
  const text = readFileSync(file, 'utf8');
  const decoder = new JsonlDecoder(file);
  const ops: Op[] = [];
  const lines = text.split('\n');
  const issues: JsonlIssue[] = [];
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
    if (last && line === '') return;
    const d = decoder.decode(line, i + 1, !last);
    if (d.kind === 'issue') issues.push(d.issue);
    else if (d.kind === 'op') ops.push(d.event);
    else if (d.kind === 'ref') issues.push({ file, line: i + 1, column: 1, code: 'BAD_FIELD', message: 'type: a corpus case holds Ops, not RefEvents', expected: 'an Op' });
  });
  if (issues.length) throw new CorpusError(issues.map((x) => `${x.file}:${x.line}:${x.column} ${x.code} ${x.message}`).join('\n'), issues);
  return { name, dir, description: decoder.header?.description ?? '', ops, expected, source: file, expects: [] };
}
