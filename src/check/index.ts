/**
 * Checking recorded traces against the models. Pure entry points here; the file
 * readers (node only) are in check-file.ts.
 */
export { Checker } from './checker.ts';
export type { CheckerOptions } from './checker.ts';
export { outcomeOf } from './run-check.ts';
export { checkPipeline, liftStage, runStage, compareStage, reportOf, CheckContext, pageRefInput } from './pipeline.ts';
export type { PipelineOptions, Lifted, Run, LiftMode } from './pipeline.ts';
export { RefChecker } from './ref-check.ts';
export type { PageRefInput, RefCheckOptions } from './ref-check.ts';
export { EvidenceCollector, evidenceWarning } from './evidence.ts';
export type { Evidence, Family } from './evidence.ts';
export type { CheckOptions, CheckRun } from './run-check.ts';
export { checkAgainst, snapsByPhase } from './against.ts';
export type { Reference } from './against.ts';
export { pickProfile, headerKconfig, kernelOf, recordingProfile } from './profile-pick.ts';
export type { ProfileChoice } from './profile-pick.ts';
export { checkJson } from './result.ts';
export type { CheckOutcome, Mismatch, Untraced, Unknown } from './result.ts';
export { checkSummary, formatCheckText } from './report-text.ts';
export { probeObservations, snapObservations, pageRefObservation, HEAD_ONLY } from './observations.ts';
export type { ObsField, ProbeObservation, SnapObservation, PageRefObservation, Recorded } from './observations.ts';
export { explainingKinds } from './explain-unknown.ts';
export { PgmapBinding, agree } from './words.ts';
export type { Simulated } from './words.ts';
