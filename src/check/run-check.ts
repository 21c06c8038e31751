/**
 * `check` on one recording: lift it, replay it under the profile its header names, and
 * compare every observation (pure: takes the lifted stream; check-file.ts reads files).
 */
import { DEFAULT_VMEMMAP_BASE } from '../kernel/constants.ts';
import type { LiftStreamItem } from '../lift/lift-trace.ts';
import { createModel, describeProfile } from '../models/index.ts';
import type { RefcountModel } from '../models/model.ts';
import { findingJson } from '../report/replay-json.ts';
import type { ParseIssue } from '../trace/issues.ts';
import { Checker } from './checker.ts';
import { kernelOf, pickProfile, recordingProfile, type ProfileChoice } from './profile-pick.ts';
import type { CheckOutcome } from './result.ts';

/** Options of a check. */
export interface CheckOptions extends ProfileChoice {
  /** VMEMMAP_START of the recording kernel. */
  readonly vmemmapBase?: bigint;
}

/** A check's outcome with the reader's issues (errors make the input bad). */
export interface CheckRun {
  readonly outcome: CheckOutcome;
  readonly issues: readonly ParseIssue[];
  readonly model: RefcountModel;
}

/** Checks a lifted stream against the profile its header names. */
export async function checkStream(stream: AsyncIterable<LiftStreamItem> | Iterable<LiftStreamItem>, opts: CheckOptions = {}): Promise<CheckRun> {
  let checker: Checker | null = null;
  let model: RefcountModel | null = null;
  let kernel = 'unknown';
  const issues: ParseIssue[] = [];
  for await (const s of stream) {
    if (s.type === 'header') {
      model = createModel(pickProfile(s.header, opts));
      kernel = kernelOf(s.header, opts);
      checker = new Checker(model, { vmemmapBase: opts.vmemmapBase ?? DEFAULT_VMEMMAP_BASE, recording: recordingProfile(s.header, opts) });
    } else if (s.type === 'item') checker?.onItem(s.item);
    else if (s.type === 'issue') issues.push(s.issue);
  }
  if (checker === null || model === null) throw new Error('lifted stream without a header');
  checker.finish();
  return { outcome: outcomeOf(checker, model, kernel), issues, model };
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
    unknown: t.unknowns.length,
    untraced: t.untraced,
    mismatches: t.mismatches,
    findings: checker.log.runner.findings.map(findingJson),
    unknowns: t.unknowns,
    findingLines: checker.opLines,
  };
}
