/**
 * The options and outcome of a check, and the outcome of a finished Checker (`check
 * --against`). A single trace goes through pipeline.ts.
 */
import { describeProfile } from '../models/index.ts';
import type { RefcountModel } from '../models/model.ts';
import { findingJson } from '../report/replay-json.ts';
import type { ParseIssue } from '../trace/issues.ts';
import { Checker } from './checker.ts';
import type { ProfileChoice } from './profile-pick.ts';
import type { CheckOutcome } from './result.ts';

/** Options of a check. */
export interface CheckOptions extends ProfileChoice {
  /** VMEMMAP_START of the recording kernel (default: the header's `# vmemmap:`, else nokaslr's). */
  readonly vmemmapBase?: bigint;
}

/** A check's outcome with the reader's issues (errors make the input bad). */
export interface CheckRun {
  readonly outcome: CheckOutcome;
  readonly issues: readonly ParseIssue[];
  readonly model: RefcountModel;
}

/** The outcome of a finished checker. */
export function outcomeOf(checker: Checker, model: RefcountModel, kernel: string): CheckOutcome {
  const t = checker.tally;
  return {
    kernel,
    profile: model.profile.name,
    kconfig: model.profile.kconfig,
    details: describeProfile(model.profile),
    observations: t.observations,
    matched: t.matched,
    unknown: t.unknownCount,
    untraced: t.untraced,
    mismatches: t.mismatches,
    findings: checker.log.runner.findings.map(findingJson),
    unknowns: t.unknowns,
    ...(t.omitted.size > 0 ? { unknownsOmitted: t.omitted } : {}),
    findingLines: checker.opLines,
  };
}
