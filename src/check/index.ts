/**
 * Checking recorded traces against the models. Pure entry points here; the file
 * readers (node only) are in check-file.ts.
 */
export { Checker } from './checker.ts';
export type { CheckerOptions } from './checker.ts';
export { checkStream, outcomeOf } from './run-check.ts';
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
