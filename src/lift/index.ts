/**
 * Lifting recorded traces to the model-independent Op stream. Pure entry points here;
 * the file readers (node only) are in lift-file.ts.
 */
export { Lifter } from './lifter.ts';
export { liftItems, liftItemsSync, collectLifted, phaseMap, phaseAtLine } from './lift-trace.ts';
export type { LiftStreamItem, LiftedTrace } from './lift-trace.ts';
export { OP_KINDS, phaseName } from './types.ts';
export type { LiftItem, LiftOptions, Observability, OpKind, PhasePoint, Visibility } from './types.ts';
export { observability, unobservable, headerSystems } from './observability.ts';
export { deviceRanges } from './pgmap.ts';
export { FOLL_V6_1, FOLL_V6_3, follLayoutFor, decodeGrabFlags, pfnOfPfnT } from './gup-flags.ts';
export type { FollLayout, GrabKind } from './gup-flags.ts';
export { DEVICE_VA_BASE } from './devdax-fault-builder.ts';
