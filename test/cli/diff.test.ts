/**
 * `dax-refsim diff`: goldens for every corpus case through the CLI, formats, exit
 * codes, --models, --semantic, and a lockstep replay that reads its input once.
 */
import { readFileSync, mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Observable, lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { cli } from './in-process.ts';
import { diffWith } from '../../src/diff/diff-runs.ts';
import { modelFor } from '../../src/models/index.ts';
import type { Op } from '../../src/events/op.ts';
import { loadOps } from '../fixtures/corpus.ts';
import { listCases } from '../../src/io/corpus.ts';

const cases = listCases('replays');

describe('dax-refsim diff', () => {
  it.each(cases)('replays/%s matches its expected.diff.json', async (name) => {
    const r = await cli('diff', `replays/${name}/ops.jsonl`, '--format', 'json');
    expect(r.stdout).toBe(readFileSync(`replays/${name}/expected.diff.json`, 'utf8'));
    const parsed = JSON.parse(r.stdout) as { divergences: unknown[] };
    expect(r.status).toBe(parsed.divergences.length > 0 ? 1 : 0);
  });

  it('prints the JSON shape with resolved profile names', async () => {
    const r = await cli('diff', 'replays/s1-pte-fault-munmap-truncate', '--format', 'json', '--models', 'legacy@6.12,unified');
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['models', 'ops', 'divergences', 'summary', 'episodes']);
    expect(doc.models).toEqual(['legacy@6.12', 'unified@7.2']);
    expect(doc.ops).toBe(5);
    expect((doc.divergences as Record<string, unknown>[])[1]).toMatchObject({ seq: 2, op: 'dax.fault', pfn: '0x48050', pfns: ['0x48050', '0x48050'], class: 'map-reference', field: 'mapcount', a: 0, b: 1 });
    // the munmap's wake_up_var() finds no waiter: not a wake divergence (issue #13)
    expect(doc.summary).toEqual({ baseline: 2, 'map-reference': 1, busy: 0, 'folio-shape': 0, association: 0, wake: 0, finding: 0, refcount: 0 });
    expect((doc.episodes as { class: string; start: { seq: number }; end: { seq: number } | null }[]).map((e) => [e.class, e.start.seq, e.end?.seq ?? null])).toEqual([
      ['baseline', 1, null], ['map-reference', 2, 4], ['baseline', 4, null],
    ]);
  });

  it('explains the munmap of S1 from what the runs did: no waiter, so no wake-up', async () => {
    const r = await cli('diff', 'replays/s1-pte-fault-munmap-truncate', '--format', 'json');
    const ep = (JSON.parse(r.stdout) as { episodes: { class: string; explanation: string[] }[] }).episodes.find((e) => e.class === 'map-reference')!;
    expect(ep.explanation.slice(-3)).toEqual([
      '#4 munmap of 4096 KiB at 0x7f0000000000 in mm A:',
      '  legacy@6.14: cleared a page-table entry; now page 0x48050: r=1, m=0, map=F.',
      // the PTE was written (dirty): its rmap goes after the TLB flush (tlb_flush_rmaps())
      '  unified@7.2 [do_vmi_munmap → tlb_flush_rmaps → folio_remove_rmap_ptes; do_vmi_munmap → folios_put_refs → free_zone_device_folio → wake_up_var]: '
        + 'cleared a page-table entry, −1 reference, mapcount −1, freed the folio (free_zone_device_folio), called wake_up_var() with no waiter on the range; now page 0x48050: r=0, m=0, map=F.',
    ]);
  });

  it('names how many folios a range freed: the truncate of k72-ext4-daxwork frees 2 and 6 order-0 folios on ranges, one on a page', async () => {
    const r = await cli('diff', 'events/traces/k72-ext4-daxwork.trace.txt', '--format', 'json');
    const explanations = (JSON.parse(r.stdout) as { episodes: { explanation: string[] }[] }).episodes.map((e) => e.explanation);
    // each episode's unified sentence for the truncate at #22 (free_zone_device_folio() once per order-0 folio)
    const truncate = explanations.flatMap((x) => x.flatMap((l, i) => (l.startsWith('#22 truncate of inode 0xd on 259:0') ? x.slice(i + 1, i + 3).filter((y) => y.startsWith('  unified@7.2')) : [])));
    const freed = truncate.map((l) => /freed (the folio|\d+ folios) \(free_zone_device_folio\).*; now (page 0x[0-9a-f]+|\d+ order-0 pages):/.exec(l)).filter((m) => m !== null).map((m) => [m[1], m[2]]);
    expect(freed).toContainEqual(['2 folios', '2 order-0 pages']);
    expect(freed).toContainEqual(['6 folios', '6 order-0 pages']);
    expect(freed).toContainEqual(['the folio', 'page 0x48052']);
    // "the folio" only where the range is one page
    expect(freed.filter(([what, now]) => (what === 'the folio') !== now!.startsWith('page '))).toEqual([]);
  });

  it('S7 reports a busy divergence and a legacy-only finding', async () => {
    const r = await cli('diff', 'replays/s7-dma-after-munmap', '--format', 'json', '--semantic');
    const ds = (JSON.parse(r.stdout) as { divergences: { class: string; field: string; a: unknown; b: unknown; seq: number }[] }).divergences;
    expect(ds.filter((d) => d.class === 'busy').map((d) => [d.seq, d.field, d.a, d.b])).toEqual([[8, 'waiting', false, true], [9, 'waiting', false, true]]);
    expect(ds.filter((d) => d.class === 'finding').map((d) => [d.seq, d.a, d.b])).toEqual([
      [8, ['busy-scan-skipped', 'disassociate-busy-page'], []],
      [9, ['evict-without-wait', 'disassociate-busy-page'], []],
    ]);
    expect(r.status).toBe(1);
  });

  it('--semantic hides baseline and re-encodings: S1 keeps only map-reference', async () => {
    const r = await cli('diff', 'replays/s1-pte-fault-munmap-truncate', '--format', 'json', '--semantic');
    const doc = JSON.parse(r.stdout) as { divergences: { class: string }[]; episodes: { class: string }[] };
    expect(doc.divergences.map((d) => d.class)).toEqual(['map-reference']);
    expect(doc.episodes.map((d) => d.class)).toEqual(['map-reference']);
  });

  it('a stream with only private/coherent pages gives no divergence and exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-diff-'));
    try {
      const f = join(dir, 'ops.jsonl');
      writeFileSync(f, [
        '{"seq":1,"type":"pgmap.register","pgmap":"p","pgmapType":"private","pfn":"0x100000","nr":4096,"vmemmapShift":0}',
        '{"seq":2,"type":"pgmap.register","pgmap":"c","pgmapType":"coherent","pfn":"0x200000","nr":4096,"vmemmapShift":0}',
        '{"seq":3,"type":"devpriv.alloc","pfn":"0x100001","order":0}',
        '{"seq":4,"type":"devpriv.alloc","pfn":"0x200002","order":0}',
        '{"seq":5,"type":"devpriv.free","pfn":"0x100001","order":0}',
        '{"seq":6,"type":"devpriv.free","pfn":"0x200002","order":0}',
      ].join('\n') + '\n');
      for (const semantic of [[], ['--semantic']]) {
        const r = await cli('diff', f, '--format', 'json', ...semantic);
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ ops: 6, divergences: [] });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints text with a summary table, and Markdown', async () => {
    const t = await cli('diff', 'replays/s2-gup-get-across-truncate');
    expect(t.stdout).toMatch(/^dax-refsim diff: legacy@6\.14 vs unified@7\.2, 5 ops, \d+ episode\(s\) of difference\n\nclass +count\nbaseline +\d+\n/);
    for (const l of t.stdout.split('\n')) expect([...l].length).toBeLessThanOrEqual(80);
    const f = await cli('diff', 'replays/s2-gup-get-across-truncate', '--first');
    expect(f.stdout).toMatch(/^dax-refsim diff: legacy@6\.14 vs unified@7\.2, 5 ops, 3 first divergence\(s\)\n/);
    const m = await cli('diff', 'replays/s2-gup-get-across-truncate', '--format', 'md');
    expect(m.stdout).toContain('| class | count |');
    expect(m.stdout).toContain('## What the runs did');
  });

  it('Markdown pastes into a mail: prose wrapped at 80 columns, table cells of at most 40 (long lists run-length encoded and cut)', async () => {
    for (const input of ['replays/s4-pmd-split-pte-refault', 'replays/s2-gup-get-across-truncate', 'events/traces/k61-ext4-daxrace.trace.txt', 'events/traces/k72-ext4-daxshare.trace.txt']) {
      const m = await cli('diff', input, '--format', 'md');
      for (const l of m.stdout.split('\n')) {
        if (l.startsWith('|')) for (const cell of l.split(/(?<!\\)\|/).slice(1, -1)) expect([...cell.trim()].length, `${input}: ${l}`).toBeLessThanOrEqual(40);
        else expect([...l].length, `${input}: ${l}`).toBeLessThanOrEqual(80);
      }
    }
  });

  it('exits 2 on a missing file, a bad line, bad --models, and leaves no --out file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-diff-'));
    try {
      expect((await cli('diff', join(dir, 'nope.jsonl'))).status).toBe(2);
      const f = join(dir, 'bad.jsonl');
      writeFileSync(f, '{"seq":1,"type":"munmap","mm":"A","start":0,"end":"x"}\n');
      const out = join(dir, 'out.json');
      const r = await cli('diff', f, '--out', out);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/bad\.jsonl:1:\d+ BAD_FIELD end/);
      expect(existsSync(out)).toBe(false);
      expect((await cli('diff', f, '--models', 'legacy')).stderr).toMatch(/expected two profiles/);
      expect((await cli('diff', 'replays/s1-pte-fault-munmap-truncate', '--bogus')).status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lockstep replay', () => {
  it('reads its input once: one subscription steps both models', async () => {
    const ops = loadOps('s2-gup-get-across-truncate');
    let subscriptions = 0;
    const once = new Observable<Op>((sub) => {
      if (++subscriptions > 1) {
        sub.error(new Error('this input can only be read once'));
        return;
      }
      for (const op of ops) sub.next(op);
      sub.complete();
    });
    const r = await lastValueFrom(once.pipe(diffWith(modelFor('legacy'), modelFor('unified'))));
    expect(subscriptions).toBe(1);
    expect(r.ops).toBe(5);
    expect(r.divergences.length).toBe(3);
  });
});

describe('diff on a recorded trace: the recording kernel\'s profile on its side (issue #12)', () => {
  it('k61-ext4-daxrace without --models: legacy@6.1 keeps the FOLL_GET O_DIRECT and so the missed wakeup on the legacy side', async () => {
    const r = await cli('diff', 'events/traces/k61-ext4-daxrace.trace.txt', '--semantic', '--format', 'json');
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as { models: string[]; divergences: { class: string; field: string; a: unknown; b: unknown }[] };
    expect(doc.models).toEqual(['legacy@6.1', 'unified@7.2']);
    expect(doc.divergences.filter((d) => d.class === 'wake' || d.class === 'finding').map((d) => [d.class, d.field, d.a, d.b])).toEqual([
      ['wake', 'wake', false, true],
      ['finding', 'findings', ['missed-wakeup'], []],
    ]);
  });
  it('a unified recording keeps its own profile on the unified side; --models still wins', async () => {
    const own = JSON.parse((await cli('diff', 'events/traces/k73-ext4-daxrace.trace.txt', '--format', 'json')).stdout) as { models: string[] };
    expect(own.models).toEqual(['legacy@6.14', 'unified@7.3']);
    const given = JSON.parse((await cli('diff', 'events/traces/k61-ext4-daxrace.trace.txt', '--models', 'legacy@6.12,unified@7.2', '--format', 'json')).stdout) as { models: string[] };
    expect(given.models).toEqual(['legacy@6.12', 'unified@7.2']);
  });
});
