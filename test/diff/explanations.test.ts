/**
 * The explanations a reviewer pastes into a mail (issue #13), pinned as goldens and
 * checked against what the runs did: S4's PTE re-fault episode and the split, S7's
 * waits and their end, "woke" only where a waiter was released, 80 columns.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process.ts';
import { modelFor } from '../../src/models/index.ts';
import { Runner } from '../../src/engine/runner.ts';
import { diffOps } from '../../src/diff/diff-runs.ts';
import { headline } from '../../src/diff/explain.ts';
import { loadOps } from '../fixtures/corpus.ts';
import { listCases } from '../../src/io/corpus.ts';

describe('S4: PMD fault, partial munmap, PTE re-faults, GUP, truncate', () => {
  it('matches its reviewed text golden', async () => {
    const r = await cli('diff', 'replays/s4-pmd-split-pte-refault');
    await expect(r.stdout).toMatchFileSnapshot('golden/s4.txt');
  });

  it('reports the PTE re-fault episode #4–#8 with both sides\' values, and its end in the split at #9', () => {
    const r = diffOps(modelFor('legacy@6.14'), modelFor('unified@7.2'), loadOps('s4-pmd-split-pte-refault'), { semantic: true });
    const refault = r.episodes.find((e) => e.class === 'map-reference' && e.start.seq === 4)!;
    expect(refault.pfns).toEqual([0x48400, 0x485ff]);
    expect(refault.end?.seq).toBe(9);
    expect(refault.start.b).toBe('order-9 folio 0x48400: R=1, M=1, map=F');
    expect(refault.changes.map((c) => [c.seq, c.a, c.b])).toEqual([
      [5, '512 order-0 pages: r=1, m=0, map=F', 'order-9 folio 0x48400: R=2, M=2, map=F'],
      [6, '512 order-0 pages: r=1, m=0, map=F', 'order-9 folio 0x48400: R=3, M=3, map=F'],
      [7, '512 order-0 pages: r=1 except 0x48402 r=2, m=0, map=F', 'order-9 folio 0x48400: R=4, M=3, map=F'],
      [8, '512 order-0 pages: r=1, m=0, map=F', 'order-9 folio 0x48400: R=3, M=3, map=F'],
    ]);
    expect(refault.end).toMatchObject({ a: '512 order-0 pages: r=1, m=0, map=∅', b: '512 order-0 pages: r=0, m=0, map=∅' });
    const split = refault.explanation.filter((l) => l.includes('split the folio into order-0 folios'));
    expect(split).toHaveLength(1);
    expect(split[0]).toMatch(/^ {2}unified@7\.2 \[ext4_break_layouts → dax_break_layout → dax_layout_busy_page_range → zap_present_ptes → folio_remove_rmap_ptes;/);
    // the PMD fault names the functions that took the reference and the mapcount
    const pmd = r.episodes.find((e) => e.class === 'map-reference' && e.start.seq === 2)!;
    expect(pmd.explanation[2]).toContain('dax_iomap_pmd_fault → vmf_insert_folio_pmd → folio_add_file_rmap_pmd');
    expect(pmd.end?.seq).toBe(3);
    // no wake divergence: nobody waits in S4
    expect(r.episodes.filter((e) => e.class === 'wake')).toEqual([]);
    expect(r.episodes.map((e) => e.explanation.join('\n')).join('\n')).not.toMatch(/__do_munmap|\bwoke\b/);
  });
});

const FINDING_HEADLINE = 'A finding in one model only: a kernel WARN/BUG, or a hazard the model infers.';

describe('the finding class headline', () => {
  it('says a finding, not a kernel check: a missed wakeup and a skipped busy scan fire no WARN', () => {
    expect(headline('finding', 'findings')).toBe(FINDING_HEADLINE);
    const r = diffOps(modelFor('legacy@6.14'), modelFor('unified@7.2'), loadOps('s7-dma-after-munmap'));
    const d = r.divergences.find((x) => x.class === 'finding' && x.seq === 8)!;
    expect(d.a).toEqual(['busy-scan-skipped', 'disassociate-busy-page']);
    expect(d.explanation.split('\n')[0]).toBe(FINDING_HEADLINE);
  });

  it('k61-ext4-daxrace: the 6.1 missed wakeup is headed as a finding, never as a kernel check', async () => {
    const r = await cli('diff', 'events/traces/k61-ext4-daxrace.trace.txt');
    expect(r.stdout).toContain('finding: A finding in one model only: a kernel WARN/BUG, or a hazard the model\ninfers.\n  0x48052 findings: legacy@6.1 [missed-wakeup], unified@7.2 []; at #8\n');
    expect(r.stdout).not.toContain('kernel check fires');
  });
});

describe('S7: truncate and evict with DMA in flight after munmap', () => {
  it('matches its reviewed text golden (--semantic)', async () => {
    const r = await cli('diff', 'replays/s7-dma-after-munmap', '--semantic');
    await expect(r.stdout).toMatchFileSnapshot('golden/s7-semantic.txt');
  });

  it('reports the end of both waits, the early return as the legacy cause, no reflink text', () => {
    const r = diffOps(modelFor('legacy@6.14'), modelFor('unified@7.2'), loadOps('s7-dma-after-munmap'), { semantic: true });
    const waits = r.episodes.filter((e) => e.class === 'busy' && e.field === 'waiting');
    expect(waits.map((e) => [e.pfns[0], e.start.seq, e.end?.seq])).toEqual([[0x48050, 8, 10], [0x48070, 9, 11]]);
    const text = r.episodes.flatMap((e) => e.explanation).join('\n');
    expect(text).toContain('dax_layout_busy_page_range() returns NULL at its !mapping_mapped() check');
    expect(text).toContain('cee91fa13a8e "fs/dax: return unmapped busy pages from dax_layout_busy_page_range()"');
    expect(text).toContain('0e2f80afcfa6 "fs/dax: ensure all pages are idle prior to filesystem unmount"');
    expect(text).not.toMatch(/DAX_SHARED|dax_folio_make_shared|reflink/);
    expect(text).not.toContain('dax_break_layout_final → dax_break_layout_final');
    expect(text).toContain('(woken #9) ext4_evict_inode → dax_break_layout_final → dax_delete_mapping_range');
  });
});

describe('every explanation of the corpus', () => {
  it.each(listCases('replays'))('%s says "woke" only where that model released that waiter at that Op', (name) => {
    const ops = loadOps(name);
    const r = diffOps(modelFor('legacy@6.14'), modelFor('unified@7.2'), ops);
    // the waiters each model released at each Op, from its own run
    const released = new Map<string, Set<number>>();
    for (const p of ['legacy@6.14', 'unified@7.2']) {
      const run = new Runner(modelFor(p), { checkpointEvery: 0 });
      for (const op of ops) for (const e of run.pushOp(op)) if (e.type === 'wait_end' && e.how === 'woken') (released.get(`${p}#${op.seq}`) ?? released.set(`${p}#${op.seq}`, new Set()).get(`${p}#${op.seq}`)!).add(e.waiter);
    }
    let checked = 0;
    for (const lines of [...r.episodes.map((e) => e.explanation), ...r.divergences.map((d) => d.explanation.split('\n'))]) {
      let seq = 0;
      for (const l of lines) {
        const op = /^#(\d+) /.exec(l);
        if (op) seq = Number(op[1]);
        if (!/\bwok(e|en)\b/.test(l)) continue;
        const side = /^ {2}(\S+@\S+)/.exec(l)![1]!;
        for (const m of l.matchAll(/woke the waiter of #(\d+)/g)) {
          expect(released.get(`${side}#${seq}`)?.has(Number(m[1]))).toBe(true);
          checked++;
        }
        // every other "woke"/"woken" is the label of the released task's own path
        expect(l.replace(/woke the waiter of #\d+/g, '').replace(/\(woken #\d+\)/g, '')).not.toMatch(/\bwok(e|en)\b/);
      }
    }
    if (['s2-gup-get-across-truncate', 's7-dma-after-munmap', 's9-unpin-wakes-truncate'].includes(name)) expect(checked).toBeGreaterThan(0);
  });

  it.each(listCases('replays'))('%s: text lines fit in 80 columns', async (name) => {
    for (const args of [[], ['--semantic'], ['--first']]) {
      const r = await cli('diff', `replays/${name}`, ...args);
      const long = r.stdout.split('\n').filter((l) => [...l].length > 80);
      expect(long).toEqual([]);
    }
  });
});
