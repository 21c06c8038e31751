#!/usr/bin/env node
// Probe-family strip sweep: for each trace given, for each event name that has lines in
// it (and each kprobe/tracepoint pair X + X_ret / X_done as one family), check the trace
// without that family's lines and compare the verdict with the full trace's.
//
//   npm run build && node scripts/strip-sweep.mjs [--json] [--cli] [--jobs N] TRACE...
//
// --cli runs `node dist/cli/main.js check --format json` per variant (slow); by default
// the same handler runs in-process.
//
// A variant is "worse" when it reports a mismatch or an error finding the full trace
// does not (matched on the full trace's line number, pfn and field / code): a recording
// with a probe filtered out must never make the checker claim more than the full
// recording shows; what it can no longer tell is to be unknown. Otherwise it is "same"
// (identical verdict lists) or "honest" (fewer verdicts, or more unknowns only).
// Nothing is written outside the OS temp dir, which is removed at the end.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const args = process.argv.slice(2);
const asJson = args.includes('--json');
const ji = args.indexOf('--jobs');
const jobs = ji >= 0 ? Number(args[ji + 1]) : 1;
const traces = args.filter((a, i) => !a.startsWith('--') && !(ji >= 0 && i === ji + 1));
if (traces.length === 0) {
  process.stderr.write('usage: strip-sweep.mjs [--json] [--jobs N] TRACE...\n');
  process.exit(2);
}

/** The event name of a trace line (`task-pid [cpu] flags ts: name: ...`), or null. */
const EVENT = /^\s*\S.*?\[\d+\]\s+(?:\S+\s+)?[\d.]+:\s+([A-Za-z0-9_]+):/;
const eventOf = (l) => (l.startsWith('#') ? null : (EVENT.exec(l)?.[1] ?? null));

const inProcess = !args.includes('--cli');
const { runCheck } = await import(new URL('../dist/cli/commands/check.js', import.meta.url).href);

/** `check --format json PATH`: the CLI's handler in-process (as main.js runs it), or `--cli` a child. */
async function check(path) {
  if (inProcess) {
    let code = null;
    let stdout = '';
    const ctx = { io: { stdout: (t) => void (stdout += t), stderr: () => undefined }, exit: (c) => void (code = c) };
    try {
      await runCheck({ trace: path, format: 'json' }, ctx);
    } catch {
      return { code: -1, doc: null };
    }
    try {
      return { code: code ?? 0, doc: JSON.parse(stdout) };
    } catch {
      return { code, doc: null };
    }
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'check', '--format', 'json', path], { maxBuffer: 1 << 28 }, (err, stdout) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      try {
        resolve({ code, doc: JSON.parse(stdout) });
      } catch {
        resolve({ code, doc: null });
      }
    });
  });
}

/** Families: every event name, plus X with X_ret / X_done / X__ret as one. */
function families(names) {
  const out = names.map((n) => [n]);
  for (const n of names) {
    const pair = names.filter((m) => m !== n && (m === `${n}_ret` || m === `${n}_done` || m === `${n}__ret`));
    if (pair.length > 0) out.push([n, ...pair]);
  }
  return out;
}

const mmKey = (m, map) => `mismatch ${map(m.line)} ${m.pfn} ${m.field}`;
const fiKey = (f, map) => `finding ${f.code} ${f.pfn ?? ''} ${map(f.line)}`;

const dir = mkdtempSync(join(tmpdir(), 'strip-sweep-'));
const tasks = [];
const results = [];
const fulls = new Map();
for (const t of traces) {
  const text = readFileSync(t, 'utf8');
  const lines = text.split('\n');
  const names = [...new Set(lines.map(eventOf).filter((n) => n !== null))].sort();
  for (const fam of families(names)) tasks.push({ trace: t, lines, fam });
}

async function runAll() {
  for (const t of traces) fulls.set(t, await check(t));
  let i = 0;
  async function worker() {
    while (i < tasks.length) {
      const task = tasks[i++];
      const drop = new Set(task.fam);
      const kept = [];
      const orig = [];
      task.lines.forEach((l, j) => {
        const n = eventOf(l);
        if (n !== null && drop.has(n)) return;
        kept.push(l);
        orig.push(j + 1);
      });
      const path = join(dir, `${basename(task.trace)}--${task.fam.join('+')}.txt`);
      writeFileSync(path, kept.join('\n'));
      const r = await check(path);
      rmSync(path);
      const full = fulls.get(task.trace);
      const id = (n) => n;
      const map = (n) => (typeof n === 'number' ? (orig[n - 1] ?? n) : n);
      const fullKeys = new Set([
        ...(full.doc?.mismatches ?? []).map((m) => mmKey(m, id)),
        ...(full.doc?.findings ?? []).filter((f) => f.severity === 'error').map((f) => fiKey(f, id)),
      ]);
      const varKeys = [
        ...(r.doc?.mismatches ?? []).map((m) => mmKey(m, map)),
        ...(r.doc?.findings ?? []).filter((f) => f.severity === 'error').map((f) => fiKey(f, map)),
      ];
      const extra = varKeys.filter((k) => !fullKeys.has(k));
      let cls;
      if (r.doc === null) cls = 'error';
      else if (extra.length > 0) cls = 'worse';
      else if (varKeys.length === fullKeys.size && r.doc.unknown === full.doc.unknown) cls = 'same';
      else cls = 'honest';
      results.push({
        trace: basename(task.trace),
        family: task.fam.join('+'),
        cls,
        code: r.code,
        extra,
        unknown: r.doc?.unknown ?? null,
        mismatches: r.doc?.mismatches.length ?? null,
        findings: r.doc?.findings.length ?? null,
      });
    }
  }
  await Promise.all(Array.from({ length: jobs }, worker));
}

await runAll();
rmSync(dir, { recursive: true, force: true });
results.sort((a, b) => (a.trace + a.family).localeCompare(b.trace + b.family));
const count = (c) => results.filter((r) => r.cls === c).length;
if (asJson) {
  process.stdout.write(`${JSON.stringify({ variants: results.length, worse: count('worse'), results }, null, 1)}\n`);
} else {
  const worse = results.filter((r) => r.cls === 'worse');
  const byFam = new Map();
  for (const r of worse) byFam.set(r.family, [...(byFam.get(r.family) ?? []), r]);
  process.stdout.write(`variants ${results.length}: same ${count('same')}, honest ${count('honest')}, worse ${count('worse')}, error ${count('error')}\n`);
  for (const [fam, rs] of [...byFam].sort((a, b) => b[1].length - a[1].length)) {
    process.stdout.write(`  without ${fam}: ${rs.length}\n`);
    for (const r of rs) process.stdout.write(`    ${r.trace}: ${r.extra.length} new (${r.extra.slice(0, 3).join('; ')}${r.extra.length > 3 ? '; ...' : ''})\n`);
  }
}
