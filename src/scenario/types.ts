/**
 * What a `.dax` scenario reads to: its header, the Ops in file order with the thread
 * that issued each, and its `expect` lines.
 */
import type { Op } from '../events/op.ts';
import type { DivergenceClass } from '../diff/divergence.ts';

/** A positioned problem in a `.dax` file (printed `file:line:column CODE message`). */
export interface DaxIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /**
   * SYNTAX (not the grammar), UNKNOWN_OP (no such operation), BAD_ADDRESS (a pfn or
   * address nothing declared covers, or misaligned), OUT_OF_FILE (an offset past the
   * file's end), UNDECLARED (a process, file or pgmap used before its declaration),
   * BAD_VALUE (a value of the wrong kind: a profile, a level, a flag; or a page count
   * over what the kernel allows, found when the Op is replayed).
   */
  readonly code: 'SYNTAX' | 'UNKNOWN_OP' | 'BAD_ADDRESS' | 'OUT_OF_FILE' | 'UNDECLARED' | 'BAD_VALUE';
  readonly message: string;
  /** What was expected at that column. */
  readonly expected: string;
}

/** `file:line:column CODE message (expected …)`. */
export function formatDaxIssue(i: DaxIssue): string {
  return `${i.file}:${i.line}:${i.column} ${i.code} ${i.message} (expected ${i.expected})`;
}

/** What an expect line checks on one model's final state. */
export type ModelCheck =
  | { readonly kind: 'field'; readonly pfn: number; readonly field: 'refcount' | 'mapcount' | 'pincount' | 'order'; readonly value: number | null }
  | { readonly kind: 'mapping'; readonly pfn: number; readonly value: string | null }
  | { readonly kind: 'finding'; readonly code: string; readonly pfn?: number; readonly negate: boolean }
  | { readonly kind: 'findings'; readonly count: number }
  | { readonly kind: 'waiting'; readonly pfn?: number; readonly negate: boolean };

/** What an `expect diff:` (or `expect A vs B:`) line checks on the diff of two models. */
export type DiffCheck =
  | { readonly kind: 'divergence'; readonly cls?: DivergenceClass; readonly pfn?: number; readonly negate: boolean }
  | { readonly kind: 'divergences'; readonly count: number };

/** One `expect` line. */
export type Expectation = {
  readonly line: number;
  /** The line's text after `expect ` (comment stripped), as reports quote it. */
  readonly text: string;
} & (
  | { readonly target: 'model'; readonly model: string; readonly check: ModelCheck }
  /** `models`: the pair of `expect A vs B:`; `expect diff:` is legacy vs unified. */
  | { readonly target: 'diff'; readonly models: readonly [string, string]; readonly check: DiffCheck }
);

/**
 * Where an Op's line spells it: the column of its operation word (or `{`), and of each
 * Op field written out (`nr`: the N of `N pages`, or the value of a raw Op's "nr"), so
 * an error the replay finds later (an Op over its bound) names the place in the file.
 */
export interface OpColumns {
  readonly op: number;
  readonly fields: Readonly<Record<string, number>>;
}

/** A parsed scenario. */
export interface DaxScenario {
  readonly file: string;
  readonly description?: string;
  /** `profile` line (the JSONL header's profile), or null. */
  readonly profile: string | null;
  readonly ops: readonly Op[];
  /** The thread of each Op (null: written without a `T:` prefix). */
  readonly threads: readonly (string | null)[];
  /** The source line of each Op. */
  readonly lines: readonly number[];
  /** Where on its line each Op is spelt. */
  readonly columns: readonly OpColumns[];
  readonly expects: readonly Expectation[];
}
