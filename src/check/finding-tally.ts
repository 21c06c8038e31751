/**
 * The model's findings of a check as they are decided: each is kept (listed, up to
 * maxDetails, the rest counted with their error-severity ones apart) or, where the trace
 * cannot support it (events lost before it, an extent whose sharing no event shows),
 * made an unknown. Fed at the end from the Runner's findings (Ops, which a resync may
 * rewind), or as they are raised (page_ref events: the RefChecker hands them on and
 * forgets them, so a trace that raises one at every event holds no more than the cap).
 */
import { hex } from '../kernel/constants.ts';
import { findingJson, type FindingJson } from '../report/replay-json.ts';
import type { Finding } from '../state/finding.ts';
import { UnknownList } from './tally.ts';

/** Counts and the first ones of the findings of a check. */
export class FindingTally {
  /** The first `maxDetails` findings kept, in the order raised. */
  readonly kept: FindingJson[] = [];
  /** Every finding kept, listed or not. */
  count = 0;
  /** Error-severity findings kept but not listed (the exit code counts them). */
  errorsNotListed = 0;
  /** Findings the trace cannot support, as unknowns. */
  readonly doubtful: UnknownList;
  /** Trace line of the event or Op each listed finding names (by seq). */
  readonly lines = new Map<number, number>();
  private readonly max: number;
  private readonly why: (f: Finding, line: number | undefined) => string | null;

  /** `why`: the reason a finding at a line is unknown, or null (kept). */
  constructor(why: (f: Finding, line: number | undefined) => string | null, maxDetails = Number.POSITIVE_INFINITY, keepUnknowns = Number.POSITIVE_INFINITY) {
    this.why = why;
    this.max = maxDetails;
    this.doubtful = new UnknownList(keepUnknowns, maxDetails);
  }

  /**
   * Decides one finding, raised at `line` (undefined: not known). `opLine`: the trace
   * line of an Op by seq, for the Ops a listed finding's message names (`Op #N`, a
   * waiter), which the report prints as lines.
   */
  add(f: Finding, line: number | undefined, opLine?: (seq: number) => number | undefined): void {
    const reason = this.why(f, line);
    if (reason !== null) {
      this.doubtful.add(`finding ${f.code}`, reason, () => {
        if (line !== undefined) this.lines.set(f.seq, line);
        return { line: line ?? 0, pfn: f.pfn >= 0 ? hex(f.pfn) : 'none', field: `finding ${f.code}`, recorded: 0, simulated: null, function: f.function, reason };
      });
      return;
    }
    this.count++;
    if (this.kept.length < this.max) {
      this.kept.push(findingJson(f));
      if (line !== undefined) this.lines.set(f.seq, line);
      if (opLine !== undefined) {
        for (const m of f.message.matchAll(/Op #(\d+)/g)) {
          const named = opLine(Number(m[1]));
          if (named !== undefined) this.lines.set(Number(m[1]), named);
        }
      }
    } else if (f.severity === 'error') this.errorsNotListed++;
  }
}
