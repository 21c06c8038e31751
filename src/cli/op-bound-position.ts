/**
 * Positions an OpBoundError for the commands that read Ops whole (readOpInput) and replay
 * them later (holders, report, export, minimize): the Op's line is found in
 * its input again, on the error path only, as replay, diff and check do.
 */
import { OpBoundError } from '../engine/op-bounds.ts';
import { locateOpBound, sniffFormat } from '../engine/replay-file.ts';
import { locateTraceOpBound } from '../engine/locate-trace-op.ts';
import { isDaxFile, locateDaxOpBound, readDaxFile } from '../io/dax-file.ts';
import { resolveInput } from './commands/op-input.ts';

/**
 * Sets `e.located` from `input` (a file or a case folder): a JSONL Op's `nr`, the
 * count field of the trace line an Op was lifted from, or the `N pages` of a `.dax`
 * scenario's statement.
 */
async function locateIn(input: string, e: OpBoundError): Promise<void> {
  const file = resolveInput(input);
  if (isDaxFile(file)) return locateDaxOpBound(readDaxFile(file), e);
  if ((await sniffFormat(file)) === 'jsonl') await locateOpBound(file, file, e);
  else await locateTraceOpBound(file, file, e);
}

/** Runs `run`; an OpBoundError it throws leaves positioned in `input` where that can be found. */
export async function locatingOpBounds(input: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    // a place that cannot be read again (stdin) keeps the Op's seq and line: the error stays the Op's
    if (e instanceof OpBoundError && e.located === undefined) await locateIn(input, e).catch(() => undefined);
    throw e;
  }
}
