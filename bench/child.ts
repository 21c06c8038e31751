/**
 * One measured run in a fresh process, so its peak RSS is its own and every contender
 * starts alike: `node child.js io|readline|baseline FILE` (the reference points of
 * baselines.ts), `node child.js check FILE` (what `dax-refsim check FILE` calls),
 * `node child.js replay FILE` (the library call `dax-refsim replay FILE` makes: no
 * `--at`, so no checkpoints), `node child.js replay-cp FILE` (replayFile's defaults,
 * checkpoints kept for stateAt, as `--at` and library users have them) or
 * `node child.js diff FILE` (the path `dax-refsim diff` takes),
 * `node child.js cli FILE CLI_JS` (`dax-refsim replay FILE --format json` through the
 * CLI's run(), its report written to /dev/null: the command as a user runs it, less
 * process start and module loading), or
 * `node child.js atn FILE N…` (replayFile with its checkpoints, then stateAt of each N
 * three times in the same process), `node child.js scan FILE` (PageRefStream alone
 * over the file's bytes, read into memory first: the split and the page_ref scan,
 * no fold; `scanNsPerLine` is its CPU time per line), or `node child.js alt FILE
 * [N [ROUNDS [DESIGN]]]` (the fold designs of alternatives.ts on the first N page_ref
 * events of FILE, interleaved round by round, the best CPU time of each; DESIGN alone
 * for a profile). Prints one JSON line: wall ms, counts, and maxRSS
 * from process.resourceUsage().
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { filter, lastValueFrom, map, type Observable } from 'rxjs';
import { replayFile, stateAt } from '../src/engine/replay-file.ts';
import { diffWithSpill } from '../src/diff/diff-runs.ts';
import { modelFor } from '../src/models/index.ts';
import { readLines$ } from '../src/io/read-lines.ts';
import { JsonlDecoder } from '../src/events/jsonl-decoder.ts';
import { formatJsonlIssue } from '../src/events/issues.ts';
import type { Op } from '../src/events/op.ts';
import { checkTraceFile } from '../src/check/check-file.ts';
import { MAX_UNKNOWN_LINES } from '../src/check/report-text.ts';
import { readChunks } from '../src/io/read-chunks.ts';
import { PageRefStream } from '../src/trace/page-ref-stream.ts';
import { fileSize, parseWorkerMode, wantsWorker } from '../src/trace/page-ref-parallel.ts';
import { ioLimit, mapFold, readlineSplit } from './baselines.ts';
import { firstEvents, measureAlternatives, type AltResult } from './alternatives.ts';

/** The Ops of a JSONL file, read as `dax-refsim diff` reads them (readLines$ + JsonlDecoder). */
function opsOf(path: string, issues: string[]): Observable<Op> {
  const decoder = new JsonlDecoder(path);
  return readLines$(path).pipe(
    map((rec) => decoder.decode(rec.text, rec.line, rec.terminated)),
    filter((d): d is Extract<typeof d, { kind: 'op' }> => {
      if (d.kind === 'issue') issues.push(formatJsonlIssue(d.issue));
      return d.kind === 'op';
    }),
    map((d) => d.event),
  );
}

const MODES = ['replay', 'replay-cp', 'diff', 'atn', 'io', 'readline', 'baseline', 'check', 'cli', 'scan', 'alt'] as const;
const [mode, file, ...rest] = process.argv.slice(2) as [(typeof MODES)[number], string | undefined, ...string[]];
if (!MODES.includes(mode) || !file) {
  console.error(`usage: child.js ${MODES.join('|')} FILE [N…]`);
  process.exit(2);
}
// whether replay, check and the CLI hand the scan to the parse worker: what their `auto`
// decision (page-ref-parallel.ts: a file past PARALLEL_MIN_BYTES and the 1-minute load
// below the cores) gives as they start, asked the same way just before; the bench says
// it beside their times, since one run with it and one without are not alike
const parseWorker = ['replay', 'replay-cp', 'check', 'cli'].includes(mode) ? wantsWorker(parseWorkerMode('auto'), await fileSize(file)) : undefined;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let out: Record<string, unknown>;
if (mode === 'io' || mode === 'readline' || mode === 'baseline') {
  // the reference points, in a fresh process like the project (no warm JIT, no parent heap)
  const r = mode === 'io' ? await ioLimit(file) : mode === 'readline' ? await readlineSplit(file) : await mapFold(file, 0);
  const { ms: _ms, ...counts } = r;
  out = counts;
} else if (mode === 'scan') {
  const chunks: Buffer[] = [];
  for await (const chunk of readChunks(file)) chunks.push(Buffer.from(chunk));
  let events = 0;
  let sum = 0;
  const stream = new PageRefStream(file, {
    header: () => undefined,
    pageRef: (r) => {
      events++;
      sum += r.pfn + r.count;
      return true;
    },
    issue: () => undefined,
  });
  const c0 = process.cpuUsage();
  const s = performance.now();
  for (const chunk of chunks) stream.push(chunk);
  stream.end();
  const c = process.cpuUsage(c0);
  const scanCpuMs = (c.user + c.system) / 1000;
  out = { events, sum, lines: stream.lines, scanMs: performance.now() - s, scanCpuMs, scanNsPerLine: Math.round((scanCpuMs * 1e6) / stream.lines) };
} else if (mode === 'alt') {
  const [n = '500000', rounds = '3', only] = rest;
  const events = await firstEvents(file, Number(n), 65536);
  const best = new Map<string, AltResult>();
  for (let r = 0; r < Number(rounds); r++) {
    for (const x of measureAlternatives(events, 0, only)) {
      const b = best.get(x.name);
      if (!b || x.cpuMs < b.cpuMs) best.set(x.name, x);
    }
  }
  out = { events: events.length - 1, best: Object.fromEntries([...best].map(([k, x]) => [k, { cpuMs: Math.round(x.cpuMs), ms: Math.round(x.ms), mEventsPerCpuSec: Number((((events.length - 1) / x.cpuMs) / 1000).toFixed(3)) }])) };
} else if (mode === 'cli') {
  const { run } = (await import(rest[0]!)) as { run: (argv: readonly string[], io: { stdout(t: string): void; stderr(t: string): void }) => Promise<number> };
  const fd = openSync('/dev/null', 'w');
  let bytes = 0;
  const code = await run(['replay', file, '--format', 'json'], {
    stdout: (t) => {
      bytes += Buffer.byteLength(t);
      writeSync(fd, t);
    },
    stderr: (t) => void process.stderr.write(t),
  });
  closeSync(fd);
  if (code !== 0) throw new Error(`dax-refsim replay ${file} exited ${code}`);
  out = { reportBytes: bytes };
} else if (mode === 'check') {
  // the call `dax-refsim check FILE` makes (text report: the first unknowns kept)
  const r = await checkTraceFile(file, { keepUnknowns: MAX_UNKNOWN_LINES });
  const o = r.outcome;
  out = { observations: o.observations, matched: o.matched, unknown: o.unknown, mismatches: o.mismatches.length, untraced: o.untraced.length, findings: o.findings.length };
} else if (mode === 'atn') {
  const full = await replayFile(file);
  const every = full.checkpoints[1]?.inputs ?? 0;
  const mid = Math.floor(full.inputs / 2);
  // around the middle, including the worst case: the input just before the next checkpoint
  const next = full.checkpoints.map((c) => c.inputs).find((c) => c > mid) ?? full.inputs;
  const ns = rest.length > 0 ? rest.map(Number) : [mid, mid + 12_345, next - 1, Math.floor(full.inputs * 0.45), Math.floor(full.inputs * 0.55)];
  const atN: { n: number; ms: number[]; refold: number }[] = [];
  for (const n of ns) {
    const ms: number[] = [];
    let refold = 0;
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const at = await stateAt(file, n, full.checkpoints);
      ms.push(performance.now() - s);
      refold = n - at.checkpoint.inputs;
    }
    atN.push({ n, ms, refold });
  }
  out = { inputs: full.inputs, checkpoints: full.checkpoints.length, every, atN };
} else if (mode === 'replay' || mode === 'replay-cp') {
  const r = await replayFile(file, mode === 'replay' ? { checkpointEvery: 0 } : {});
  if (r.trace && r.trace.errorCount > 0) throw new Error(`${file}: ${r.trace.errorCount} bad lines`);
  out = { inputs: r.inputs, refEvents: r.refEvents, findings: r.findings.length, checkpoints: r.checkpoints.length, lines: r.lines };
} else {
  const issues: string[] = [];
  // as dax-refsim diff runs it: closed episodes spill to a temporary file
  const r = await lastValueFrom(opsOf(file, issues).pipe(diffWithSpill(modelFor('legacy'), modelFor('unified'))));
  r.episodes.dispose();
  if (issues.length) throw new Error(issues.join('\n'));
  out = { ops: r.ops, refEvents: r.refEvents, divergences: r.divergences.length };
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
// CPU time (user + system, every thread: GC helpers included) beside wall time: on a shared machine wall time measures the neighbours too
console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, ...out, ...(parseWorker !== undefined ? { parseWorker } : {}), maxRssMB: process.resourceUsage().maxRSS / 1024 }));
