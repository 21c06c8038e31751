/**
 * dax-refsim's library API: replay ZONE_DEVICE / FS DAX page reference events
 * under the legacy (v6.6–v6.14) and unified (v6.15+) kernel refcount models.
 *
 * - Events: the two tiers, `Op` (model-independent kernel operations) and
 *   `RefEvent` (what one model does to struct pages), and their JSONL form.
 * - State: the sparse, frozen struct page state and the accessors that derive
 *   compound_head(), page_folio(), page_pgmap(), folio_mapcount(), … from its words.
 * - Engine: `step` (one event, pure), `foldAll` / `runOps` (arrays, pure), `Runner`
 *   (chunked folding with checkpoints), `replay` / `replayWith` (rxjs), and
 *   `replayFile` / `stateAt` (JSONL files of any size, in constant memory).
 * - Models: `createModel` / `modelFor` / `resolveProfile`.
 * - Reports: the replay JSON and text formats (values in, strings out).
 *
 * @packageDocumentation
 */

// Events: types
export type {
  Op, OpType, OpOf, PgmapType, Level, VmaRef, PutPath,
  PgmapRegisterOp, PgmapUnregisterOp, DaxFaultOp, DaxMkwriteOp, DaxHoleReadOp, MunmapOp, PmdSplitOp, ForkOp, ExitOp,
  GupGetOp, GupPinOp, PutOp, UnpinOp, FsBreakLayoutOp, FsTruncateOp, FsEvictOp, DevprivAllocOp, DevprivFreeOp, P2pAllocMmapOp,
} from './events/op.ts';
export { OP_TYPES, PGMAP_TYPES } from './events/op.ts';
export type { RefEvent, RefEventType, RefEventOf, RefEventInit } from './events/ref-event.ts';
export { REF_EVENT_TYPES, PAGE_REF_TYPES, assertNever } from './events/ref-event.ts';

// Events: JSONL
export {
  parseOpLine, parseRefEventLine, formatOp, formatRefEvent, formatHeader, formatJsonl, kindOfEvent,
  type JsonlHeader, type JsonlKind,
} from './events/jsonl.ts';
export { JsonlDecoder, type DecodedLine, type DecoderStart } from './events/jsonl-decoder.ts';
export { formatJsonlIssue, isJsonlIssue, JSONL_ISSUE_CODES, type JsonlIssue, type JsonlIssueCode, type LineSite } from './events/issues.ts';
export { SCHEMA_VERSION, OP_SCHEMA, REF_EVENT_SCHEMA, type FieldKind } from './events/schema.ts';

// State
export { createState, findRange, storedPage, pagesOf, BLOCK_SHIFT, BLOCK_SIZE, LEAF_SHIFT, LEAF_SIZE, type SimState, type PageTree, type Dir, type Block, type Leaf, type CreateStateOptions } from './state/sim-state.ts';
export {
  PAGE_MAPPING_DAX_SHARED, TAIL_MAPPING, pageAddress, tailWord, decodeTailWord, initialPage,
  type PageState, type Word1, type MemmapRange, type StateConfig, type TailEncoding,
} from './state/page.ts';
export {
  getPage, source, isTail, compoundHead, pageFolio, folioOrder, folioNrPages, pagePgmap, rawWord1,
  folioMapcount, folioEntireMapcount, folioPincount, folioMaybeDmaPinned, type PageSource,
} from './state/accessors.ts';
export type { Finding, Severity, FindingSink } from './state/finding.ts';
export type { World, Vma, Pte, XaEntry, Waiter } from './state/world.ts';

// Engine
export { step } from './engine/step.ts';
export { Runner, foldAll, runOps, checkpointFor, DEFAULT_CHUNK, type Checkpoint, type RunnerOptions } from './engine/runner.ts';
export {
  replay, replayWith, pushItem, refItems, opItems, replayFile, stateAt, findingsAt, sniffJsonl, sniffFormat, FileNotFoundError,
  replayTraceFile, stateAtTrace,
  type ReplayItem, type ReplayOptions, type ReplayResult, type FileCheckpoint, type ReplayFileOptions,
  type ReplayFileResult, type StateAtResult, type Sniffed, type FileFormat,
  type TraceReplayOptions, type TraceReplayResult, type TraceCheckpoint, type TraceStateAt, type TraceResume,
} from './engine/replay.ts';
export { pageRefEvent, priorCount, headerMemmaps, sectionMemmap, type PageRefRead, type PageTemplate } from './trace/page-ref-events.ts';

// Models
export {
  createModel, modelFor, resolveProfile, parseKconfig, PROFILE_SPANS, DEFAULT_KCONFIG, ProfileError,
  type RefcountModel, type ModelCtx, type Invariant, type Profile, type Kconfig, type Family,
} from './models/index.ts';

// Reports
export { replayJson, formatReplayJson, findingJson, type ReplayJson, type FolioJson, type PageJson, type FindingJson, type ReplayReportInput } from './report/replay-json.ts';
export { formatReplayText, formatFinding } from './report/replay-text.ts';
export { summarizeFolios, summarizeFolioAt, type FolioSummary, type PageSummary } from './report/folios.ts';
