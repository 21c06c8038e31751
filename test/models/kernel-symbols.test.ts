/**
 * Kernel names that exist in that kernel: every function an explanation names (the call
 * paths of each side, and the function of each finding it reports), over every corpus
 * case and every shipped trace, diffed under the default profiles and, for a trace,
 * under its recording kernel's profile against the other family, is in the symbol
 * table of the profile it is attributed to (src/models/kernel-symbols.ts, read from
 * Debian's kernel packages). So is every enter/exit marker those runs emit, and every
 * finding `check` raises on a shipped trace.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFor } from '../../src/models/index.ts';
import { Runner } from '../../src/engine/runner.ts';
import { diffOps, type DiffResult } from '../../src/diff/diff-runs.ts';
import { liftForDiff } from '../../src/lift/lift-file.ts';
import { checkTraceFile } from '../../src/check/check-file.ts';
import { symbolTableFor } from '../../src/models/symbols.ts';
import { KERNEL_SYMBOLS } from '../../src/models/kernel-symbols.ts';
import type { Op } from '../../src/events/op.ts';
import { loadOps } from '../fixtures/corpus.ts';
import { listCases } from '../../src/io/corpus.ts';

const TRACES = readdirSync('events/traces').filter((f) => f.endsWith('.txt') && !f.includes('config')).sort();
const DEFAULT: readonly [string, string] = ['legacy@6.14', 'unified@7.2'];

/** (profile, function) pairs an explanation line names. */
function named(lines: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const l of lines) {
    const m = /^\s*(\S+@\S+) (?:\[([^\]]*)\])?:(.*)$/.exec(l);
    if (!m) continue;
    const profile = m[1]!;
    for (const part of (m[2] ?? '').split(/;|→/)) {
      const fn = part.trim().replace(/^\(woken #\d+\) /, '');
      if (fn !== '') out.push([profile, fn]);
    }
    for (const f of m[3]!.matchAll(/It (?:reports|WARNs) \S+ in ([A-Za-z_]\w*):/g)) out.push([profile, f[1]!]);
  }
  return out;
}

function explanationNames(r: DiffResult): [string, string][] {
  return [...r.episodes.flatMap((e) => named(e.explanation)), ...r.divergences.flatMap((d) => named(d.explanation.split('\n')))];
}

/** Every marker name a run of the Ops under a profile emits, with the functions of its findings. */
function markerNames(profile: string, ops: readonly Op[]): [string, string][] {
  const r = new Runner(modelFor(profile), { checkpointEvery: 0 });
  const out = new Set<string>();
  for (const op of ops) for (const e of r.pushOp(op)) if (e.type === 'enter' || e.type === 'wait') out.add(e.fn);
  for (const f of r.findings) out.add(f.function);
  return [...out].map((fn) => [profile, fn]);
}

/** The pairs whose function the profile's kernel lacks, as `profile fn (kernel)`. */
function lacking(pairs: readonly [string, string][]): string[] {
  const bad = new Set<string>();
  for (const [profile, fn] of pairs) {
    const t = symbolTableFor(modelFor(profile).profile);
    if (t === null) throw new Error(`no symbol table for ${profile}`);
    if (!(fn in t.table.functions)) bad.add(`${profile} ${fn} (${t.table.kernel})`);
  }
  return [...bad].sort();
}

describe('kernel symbol tables', () => {
  it('come from four Debian kernels, each with its packages named', () => {
    expect(KERNEL_SYMBOLS.map((k) => k.kernel)).toEqual(['6.1.192', '6.12.107', '7.2.13', '7.3.4']);
    for (const k of KERNEL_SYMBOLS) expect(k.package).toMatch(/linux-source/);
  });

  it('a profile takes its own version, or a kernel of its span; a span without one has none', () => {
    expect(symbolTableFor({ family: 'legacy', version: '6.1' })?.table.kernel).toBe('6.1.192');
    expect(symbolTableFor({ family: 'legacy', version: '6.14' })).toMatchObject({ table: { kernel: '6.12.107' }, basis: 'same span (6.10–6.14) as 6.14' });
    expect(symbolTableFor({ family: 'unified', version: '7.2' })?.table.kernel).toBe('7.2.13');
    expect(symbolTableFor({ family: 'legacy', version: '6.9' })).toBeNull();
    expect(symbolTableFor({ family: 'unified', version: '6.16' })).toBeNull();
  });

  it('know what each kernel lacks: __do_munmap is in none, do_mas_munmap only in 6.1', () => {
    for (const k of KERNEL_SYMBOLS) expect(k.functions).not.toHaveProperty('__do_munmap');
    expect(KERNEL_SYMBOLS.filter((k) => 'do_mas_munmap' in k.functions).map((k) => k.kernel)).toEqual(['6.1.192']);
    expect(KERNEL_SYMBOLS.find((k) => k.kernel === '7.2.13')!.functions).not.toHaveProperty('__put_devmap_managed_folio_refs');
  });
});

describe('every function an explanation names exists in its profile\'s kernel', () => {
  it.each(listCases('replays'))('replays/%s', (name) => {
    const ops = loadOps(name);
    const r = diffOps(modelFor(DEFAULT[0]), modelFor(DEFAULT[1]), ops);
    const pairs = explanationNames(r);
    expect(pairs.length).toBeGreaterThan(0);
    expect(lacking(pairs)).toEqual([]);
    expect(lacking([...markerNames(DEFAULT[0], ops), ...markerNames(DEFAULT[1], ops)])).toEqual([]);
  });

  it.each(TRACES)('events/traces/%s (diff under the defaults and under its own kernel, check findings)', async (t) => {
    const path = join('events/traces', t);
    const lifted = await liftForDiff(path);
    const own = (await checkTraceFile(path)).model.profile;
    const other = own.family === 'legacy' ? DEFAULT[1] : DEFAULT[0];
    const pairs: [string, string][] = [];
    for (const [a, b] of [DEFAULT, [own.name, other]] as const) pairs.push(...explanationNames(diffOps(modelFor(a), modelFor(b), lifted.ops)));
    pairs.push(...markerNames(own.name, lifted.ops));
    const run = await checkTraceFile(path);
    for (const f of run.outcome.findings) pairs.push([own.name, f.function]);
    expect(lacking(pairs)).toEqual([]);
  }, 30_000);

  it('would fail on a chain that names a function the kernel lacks', () => {
    expect(lacking([['unified@7.2', '__do_munmap'], ['legacy@6.1', 'do_vmi_munmap'], ['unified@7.2', 'do_vmi_munmap']])).toEqual([
      'legacy@6.1 do_vmi_munmap (6.1.192)',
      'unified@7.2 __do_munmap (7.2.13)',
    ]);
  });
});
