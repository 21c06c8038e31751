/**
 * The replay pipeline, one import away: `replayWith` (the rxjs operator, `scan`
 * over a Runner) and `replay` for in-memory inputs; `replayFile`, which streams a
 * JSONL file of any size through the operator in constant memory; and `stateAt`,
 * which re-reads a file from the nearest checkpoint's byte offset to give the state
 * after input N without holding the trace in memory. A page_ref trace (ftrace or
 * trace-cmd text) replays through `replayTraceFile`, which `replayFile` picks by content.
 */
export { replayWith, replay, pushItem, refItems, opItems, type ReplayItem, type ReplayOptions, type ReplayResult, type AfterPush } from './replay-with.ts';
export {
  replayFile, stateAt, sniffJsonl, sniffFormat, findingsAt, FileNotFoundError,
  type FileCheckpoint, type ReplayFileOptions, type ReplayFileResult, type StateAtResult, type Sniffed, type FileFormat,
} from './replay-file.ts';
export {
  replayTraceFile, stateAtTrace, traceModel,
  type TraceReplayOptions, type TraceReplayResult, type TraceCheckpoint, type TraceStateAt, type TraceResume,
} from './replay-trace.ts';
