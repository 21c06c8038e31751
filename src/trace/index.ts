/**
 * The trace reader: ftrace (tracefs) and `trace-cmd report` text → typed records.
 * Parsing only; lifting records to Ops and checking them live elsewhere.
 *
 * Entry points: {@link parseTraceText} (a whole text), {@link parseTraceLines} (a
 * stream of lines, constant memory) and, in read-file.ts (node only),
 * `readTraceFile` / `streamTraceFile`.
 */
export { formatIssue, makeIssue, DEFAULT_SEVERITY } from './issues.ts';
export type { ParseIssue, ParseIssueCode, ParseIssueSeverity, IssueSite } from './issues.ts';
export { pageAddrToPfn, pageAddrOffset, pfnToPageAddr, STRUCT_PAGE_SIZE, VMEMMAP_BASE, VMEMMAP_SIZE_4LEVEL } from './address.ts';
export { decodeDaxEntry, encodeDaxEntry, DAX_ENTRY_FLAGS, DAX_SHIFT } from './xarray-entry.ts';
export type { DaxEntry, DaxEntryFlag } from './xarray-entry.ts';
export { parseKernelRelease, isAtLeast, isBefore, compareKernelSeries } from './kernel-release.ts';
export type { KernelRelease } from './kernel-release.ts';
export { parseFlagText, decodeFlagValue, hasFlag } from './flag-set.ts';
export type { FlagSet, FlagTable, FlagTableEntry } from './flag-set.ts';
export {
  FAULT_FLAG_TABLE, VM_FAULT_TABLE, PAGE_FLAGS_V6_1, PAGE_FLAGS_V6_12, pageFlagTableFor, coversAllBits,
} from './flag-tables.ts';
export { parseProbeDefinition } from './probe-definition.ts';
export type { ProbeArg, ProbeDefinition, ProbeDefinitionResult, ProbeKind, ProbeLetter } from './probe-definition.ts';
export { parseProbeArgType, convertProbeValue, inferProbeValue, isStringType } from './probe-arg-type.ts';
export type { ProbeArgType, ProbeBaseType, ProbeScalar, ProbeValue } from './probe-arg-type.ts';
export { HeaderBuilder, emptyHeader } from './header.ts';
export { parseVmemmap, vmemmapBaseOf } from './vmemmap.ts';
export type { VmemmapInfo, VmemmapOffsets } from './vmemmap.ts';
export type {
  TraceHeader, TraceDialect, KconfigValue, IomemRange, DaxDeviceInfo, ProbeAttachStatus, EventFilter,
  KallsymsEntry, HeaderComment, TraceCmdInfo,
} from './header-types.ts';
export { parseEventLine, isEventLineError } from './line.ts';
export type { EventLine, EventLineError } from './line.ts';
export { scanProbeLocation, parseCodeLocation } from './probe-location.ts';
export { scanKeyValues, keyValueRecord } from './key-values.ts';
export { PAGE_REF_OPS } from './page-ref-body.ts';
export { FS_DAX_EVENTS, isFsDaxEvent } from './fs-dax-body.ts';
export type {
  RecordBase, TraceRecord, RecordOf, KprobeRecord, PageRefRecord, PageRefOp, FsDaxRecord, DevNumber,
  MarkerRecord, GenericRecord, CodeLocation, ProbeLocation,
} from './record-types.ts';
export { probeNumber, probeBigint, probeString, prefixedFields } from './record-fields.ts';
export { TraceReader } from './trace-reader.ts';
export type { TraceItem, TraceReaderOptions, TraceSummary } from './trace-reader.ts';
export {
  parseTraceText, parseTraceLines, parseTraceLinesSync, collectTrace, collectTraceAsync, recordsOf, splitLines,
} from './read-trace.ts';
export type { ParsedTrace } from './read-trace.ts';
