/**
 * explore: every order of a scenario's threads, partial-order reduction, the bound,
 * and the hole punch against an O_DIRECT completion (hang on 6.1, none on unified).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDax } from '../../src/scenario/parser.ts';
import { explore, interleavings, predecessors, threadsOf } from '../../src/scenario/explore.ts';
import { checkExpectations } from '../../src/scenario/expect.ts';
import { modelFor } from '../../src/models/index.ts';
import type { DaxScenario } from '../../src/scenario/types.ts';
import { cli } from '../cli/in-process.ts';
import { defaultModels, exploreText } from '../../src/cli/commands/explore.ts';

const RACE = 'scenarios/punch-vs-dio.dax';

function ok(text: string): DaxScenario {
  const r = parseDax(text, 't.dax');
  if ('issues' in r) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r;
}

describe('explore', () => {
  it('threads keep program order; an Op without a thread is a barrier ordered against every other Op', () => {
    const t = [null, null, 'A', 'B', 'A.1', 'A', null, 'A', 'B'];
    expect(threadsOf(t)).toEqual({ barriers: [0, 1, 6], threads: [{ name: 'A', ops: [2, 5, 7] }, { name: 'B', ops: [3, 8] }, { name: 'A.1', ops: [4] }] });
    expect(predecessors(t)).toEqual([[], [0], [1], [1], [1], [2], [1, 2, 3, 4, 5], [6], [6]]);
    expect(interleavings([3, 1])).toBe(4n);
    expect(interleavings([3, 1, 2])).toBe(60n);
    expect(interleavings([10, 10])).toBe(184756n);
  });

  it('a hole punch against an O_DIRECT completion: the punch waits forever on 6.1 in one order, never on unified', async () => {
    const r = await cli('explore', RACE, '--models', 'legacy@6.1,unified');
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      `${RACE}: 2 thread(s) (A: 3, B: 1) and 1 Op(s) without a thread (ordered against all others); models legacy@6.1, unified@7.2`,
      "explored 4 interleaving(s) of 4 that keep each thread's order",
      '',
      'unified@7.2: no hang in any interleaving',
      'unified@7.2: no finding in any interleaving',
      'legacy@6.1: finding missed-wakeup in 1 of 4 interleaving(s)',
      'legacy@6.1: hang in 1 of 4 interleaving(s)',
      'legacy@6.1 vs unified@7.2: divergence association in 1 of 4 interleaving(s)',
    ]);
    const start = r.stdout.indexOf('== legacy@6.1: hang (1 of 4); the shortest:\n');
    expect(start).toBeGreaterThan(0);
    const example = r.stdout.slice(start).split('\n\n')[0]!.split('\n').slice(1).join('\n') + '\n';
    expect(example).toBe([
      `scenario "hang on legacy@6.1: 5 Ops of an interleaving of ${RACE}"`,
      'profile legacy@6.1',
      'process A B',
      'file F 8K..12K -> 0x48052',
      'pgmap pmem0 fsdax 0x40000 +512M',
      'A: mmap F 0..16K shared',
      'A: fault F+8K write',
      'A: dio-grab F+8K write',
      'B: punch F 8K..12K ext4',
      'A: dio-release F+8K',
      'expect legacy@6.1: waiting',
      '',
    ].join('\n'));
    // the example is a test: it holds on 6.1 and fails on unified
    const s = ok(example);
    expect(checkExpectations(s.ops, s.expects).map((x) => x.holds)).toEqual([true]);
    const u = ok(example.replace('expect legacy@6.1:', 'expect unified:'));
    expect(checkExpectations(u.ops, u.expects).map((x) => [x.holds, x.actual])).toEqual([[false, 'no waiter at the end']]);
  });

  it('without --models: the scenario\'s profile (legacy@6.1) and the other family; no profile: legacy and unified', async () => {
    const r = await cli('explore', RACE);
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe(`${RACE}: 2 thread(s) (A: 3, B: 1) and 1 Op(s) without a thread (ordered against all others); models legacy@6.1, unified@7.2`);
    expect(r.stdout).toContain('legacy@6.1: hang in 1 of 4 interleaving(s)\n');
    expect(defaultModels(null)).toEqual(['legacy', 'unified']);
    expect(defaultModels('unified@6.16')).toEqual(['legacy', 'unified@6.16']);
    const s9 = await cli('explore', 'replays/s9-unpin-wakes-truncate/scenario.dax');
    expect(s9.stdout.split('\n')[0]).toMatch(/; models legacy@6\.14, unified@7\.2$/);
  });

  it('every example is a test that holds: a divergence found between legacy@6.1 and unified names that pair', async () => {
    const r = await cli('explore', RACE, '--models', 'legacy@6.1,unified');
    const examples = r.stdout.split('\n== ').slice(1).map((b) => b.slice(b.indexOf('\n') + 1).trimEnd() + '\n');
    expect(examples).toHaveLength(9);
    const expects = examples.map((e) => ok(e).expects.map((x) => x.text)).flat();
    expect(expects).toEqual(['legacy@6.1: finding missed-wakeup', 'legacy@6.1: waiting',
      ...['association', 'baseline', 'busy', 'finding', 'map-reference', 'refcount', 'wake'].map((c) => `legacy@6.1 vs unified@7.2: ${c}`)]);
    for (const e of examples) {
      const s = ok(e);
      expect(checkExpectations(s.ops, s.expects).map((x) => [x.expect.text, x.holds])).toEqual([[s.expects[0]!.text, true]]);
    }
    // wake and busy need 6.1's missed wakeup: `expect diff:` (legacy@6.14 vs unified) would not hold
    const wake = examples.find((e) => e.includes('unified@7.2: wake'))!;
    const asDiff = ok(wake.replace('expect legacy@6.1 vs unified@7.2:', 'expect diff:'));
    expect(checkExpectations(asDiff.ops, asDiff.expects)[0]!.holds).toBe(false);
    // under the default pair the line stays `expect diff:`
    const d = await cli('explore', RACE, '--models', 'legacy,unified');
    expect(d.stdout.split('\n').filter((l) => l.startsWith('expect '))).toEqual(['expect diff: baseline', 'expect diff: map-reference']);
  });

  it('partial-order reduction: a third thread on a disjoint page multiplies the orders by 35 and the replays by none', () => {
    const race = readFileSync(RACE, 'utf8').replace('process A B', 'process A B C');
    const s = ok(`${race}C: mmap F 0..16K shared\nC: fault F\nC: get F\nC: put F\n`);
    const r = explore(s.ops, s.threads, { models: [modelFor('legacy@6.1'), modelFor('unified')], diff: true, maxInterleavings: 10_000 });
    expect(r.total).toBe(140n);
    expect(r.explored).toBe(4);
    expect(r.outcomes.filter((o) => o.what === 'hang').map((o) => [o.model, o.count])).toEqual([['legacy@6.1', 1]]);
    expect(exploreText('t.dax', s, r, ['legacy@6.1', 'unified@7.2']).split('\n')[1]).toBe(
      "explored 4 interleaving(s) of 140 that keep each thread's order (partial-order reduction: each of the other 136 differs from one explored only in the order of Ops on disjoint folios)",
    );
    // on the same page nothing commutes: every order is replayed
    const same = ok(`${race}C: mmap F 0..16K shared\nC: fault F+8K\nC: get F+8K\nC: put F+8K\n`);
    expect(explore(same.ops, same.threads, { models: [modelFor('legacy@6.1')], diff: false, maxInterleavings: 10_000 }).explored).toBe(140);
  });

  it('an unthreaded put is a barrier: it never runs before the get above it', () => {
    const s = ok('process A B\npgmap pmem0 fsdax 0x40000 +512M\nfile F 0..16K -> 0x48050\nA: mmap F 0..16K shared\nA: fault F\nA: get F\nput F\nB: truncate F\nA: munmap F\n');
    const r = explore(s.ops, s.threads, { models: [modelFor('unified')], diff: false, maxInterleavings: 100 });
    // {fault, get} then put, then {truncate ∥ munmap}: 2 orders
    expect([r.total, r.explored]).toEqual([2n, 2]);
    expect(r.outcomes.map((o) => o.what)).not.toContain('hang');
  });

  it('--max-interleavings stops with a clear message and says how many were explored', async () => {
    const r = await cli('explore', RACE, '--models', 'legacy@6.1,unified', '--max-interleavings', '2');
    expect(r.stderr).toBe("explore: stopped at --max-interleavings 2: replayed 2 of the 4 interleavings that keep each thread's order; the report covers only those\n");
    // no claim that the orders not replayed are covered, and "no hang" only of those explored
    expect(r.stdout.split('\n').slice(1, 6)).toEqual([
      "explored 2 interleaving(s) of 4 that keep each thread's order",
      'stopped at --max-interleavings 2: the outcomes below cover only the interleavings explored',
      '',
      'unified@7.2: no hang in the 2 interleaving(s) explored',
      'unified@7.2: no finding in the 2 interleaving(s) explored',
    ]);
  });

  it('bad usage: not a scenario, a bad bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-explore-'));
    try {
      expect((await cli('explore', 'replays/s9-unpin-wakes-truncate/ops.jsonl')).status).toBe(2);
      expect((await cli('explore', RACE, '--max-interleavings', '0')).status).toBe(2);
      const f = join(dir, 'bad.dax');
      writeFileSync(f, 'process A\nA: punch G 0..4K\n');
      const r = await cli('explore', f);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`${f}:2:10 UNDECLARED file G is not declared (expected a "file G …" line above)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
