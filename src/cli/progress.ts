/**
 * A progress bar on stderr for long runs (cli-progress): shown only when stderr is a
 * terminal, `--quiet` is not given and the run is long; never on stdout, so
 * `--format json` output stays clean. The clock lives here (src/cli), not in the core.
 */
import cliProgress from 'cli-progress';

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
