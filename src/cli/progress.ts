/**
 * A progress bar on stderr for long runs (cli-progress): shown only when stderr is a
 * terminal, `--quiet` is not given and the run is long; never on stdout, so
 * `--format json` output stays clean. The clock lives here (src/cli), not in the core.
 */
import cliProgress from 'cli-progress';
import { readFileSync, statSync } from 'node:fs';
import type { CliContext } from './context.ts';

/** Ops below which no bar is drawn (a short run ends before a bar would help). */
export const PROGRESS_MIN = 20_000;

/** A progress sink: tick per unit of work, stop at the end. */
export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

const NONE: Progress = { tick: () => undefined, stop: () => undefined };

/** A bar over `total` units named `what`, or a no-op when it should not show. */
export function progress(what: string, total: number, quiet: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (quiet || !stream.isTTY || total < PROGRESS_MIN) return NONE;
  const bar = new cliProgress.SingleBar(
    { stream, format: `${what} [{bar}] {percentage}% | {value}/{total} | {speed} Ops/s | ETA {eta_formatted}`, hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  const start = Date.now();
  let done = 0;
  bar.start(total, 0, { speed: 0 });
  return {
    tick: (n = 1) => {
      done += n;
      // redraw at most every 1024 units: the bar must not cost the run
      if ((done & 1023) !== 0 && done !== total) return;
      const s = (Date.now() - start) / 1000;
      bar.update(done, { speed: s > 0 ? Math.round(done / s) : 0 });
    },
    stop: () => bar.stop(),
  };
}

/** Input size in bytes below which `replay`, `check` and `diff` draw no bar (a few MB read in a moment). */
export const PROGRESS_MIN_BYTES = 8 * 2 ** 20;

/** Bytes this process has read so far (Linux's /proc/self/io `rchar`), or null where it cannot say. */
function bytesRead(): number | null {
  try {
    const m = /^rchar:\s*(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * A bar over the bytes of `file` read so far, redrawn 4 times a second from the
 * process's read counter, so the readers (JSONL lines, trace text, the lifter)
 * need no hook: `replay`, `check`, `diff`. Its rate is MB/s (bytes are what it sees,
 * not events); a pass that re-reads the file (check's evidence lines) stays at 100%.
 * Nothing when `file` is not a regular file of PROGRESS_MIN_BYTES or more (stdin, a
 * scenario folder), when stderr is no terminal, or with --quiet.
 */
export function inputProgress(what: string, file: string, quiet: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (quiet || !stream.isTTY) return NONE;
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return NONE;
    size = st.size;
  } catch {
    return NONE;
  }
  const base = bytesRead();
  if (size < PROGRESS_MIN_BYTES || base === null) return NONE;
  const mb = (n: number): string => (n / 2 ** 20).toFixed(0);
  const bar = new cliProgress.SingleBar(
    { stream, format: `${what} [{bar}] {percentage}% | {read}/{size} MB read | {speed} MB/s | ETA {eta_formatted}`, hideCursor: true, etaBuffer: 20, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  const start = Date.now();
  bar.start(size, 0, { read: '0', size: mb(size), speed: '0' });
  const timer = setInterval(() => {
    const now = bytesRead();
    if (now === null) return;
    const done = Math.min(size, now - base);
    const s = (Date.now() - start) / 1000;
    bar.update(done, { read: mb(done), speed: s > 0 ? (done / 2 ** 20 / s).toFixed(1) : '0' });
  }, 250);
  // the bar never keeps the process alive
  timer.unref();
  let stopped = false;
  return {
    tick: () => undefined,
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      bar.stop();
    },
  };
}

/**
 * Runs a command under an input bar: the bar ends before the command's first output
 * (so a report on the same terminal never lands on the bar's line) or when it ends.
 */
export async function withInputProgress<T>(what: string, file: string, quiet: boolean | undefined, ctx: CliContext, run: (ctx: CliContext) => Promise<T>): Promise<T> {
  const bar = inputProgress(what, file, quiet ?? false);
  const io = {
    stdout: (t: string): void => (bar.stop(), ctx.io.stdout(t)),
    stderr: (t: string): void => (bar.stop(), ctx.io.stderr(t)),
  };
  try {
    return await run({ io, exit: (c) => ctx.exit(c) });
  } finally {
    bar.stop();
  }
}
