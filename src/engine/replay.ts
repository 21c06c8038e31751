/**
 * The replay pipeline, one import away: `replayWith` (the rxjs operator, `scan`
 * over a Runner) and `replay` for in-memory inputs; `replayFile`, which streams a
 * JSONL file of any size through the operator in constant memory; and `stateAt`,
 * which re-reads a file from the nearest checkpoint's byte offset to give the state
 * after input N without holding the trace in memory.
 */
export { replayWith, replay, pushItem, refItems, opItems, type ReplayItem, type ReplayOptions, type ReplayResult, type AfterPush } from './replay-with.ts';
export {
  replayFile, stateAt, sniffJsonl, findingsAt, FileNotFoundError,
  type FileCheckpoint, type ReplayFileOptions, type ReplayFileResult, type StateAtResult, type Sniffed,
} from './replay-file.ts';
