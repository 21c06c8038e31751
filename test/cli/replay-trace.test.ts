/**
 * `dax-refsim replay <trace>`: a page_ref trace (tracefs or trace-cmd text, told by
 * content, not by name) replays under its header kernel's profile with exact final
 * refcounts; --at N is the state after N page_ref events; findings and bad lines
 * give exit codes 1 and 2.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './in-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-cli-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Doc {
  readonly profile: string | null;
  readonly events: number;
  readonly folios: readonly { readonly head: string; readonly refcount: number; readonly order?: number; readonly pfns?: readonly string[] }[];
  readonly findings: readonly { readonly code: string; readonly severity: string }[];
}

async function json(...args: string[]): Promise<{ status: number; doc: Doc; stderr: string }> {
  const r = await cli('replay', ...args, '--format', 'json');
  return { status: r.status, doc: JSON.parse(r.stdout) as Doc, stderr: r.stderr };
}

const refs = (doc: Doc): Record<string, number> => Object.fromEntries(doc.folios.map((f) => [f.head, f.refcount]));

describe('dax-refsim replay <page_ref trace>', () => {
  it('k72dbg-ext4-daxwork.trace.txt: unified@7.2, 49 events, every page freed (0), exit 0', async () => {
    const r = await json('events/traces/k72dbg-ext4-daxwork.trace.txt');
    // page_ref prints the head flag, not the order: the one inference of the replay (issue #12)
    expect(r.stderr).toBe('dax-refsim: assumption: compound FS DAX folios are order 9 (page_ref prints the head flag, not the order; dax_folio_init() makes a folio per PMD entry)\n');
    expect(r.status).toBe(0);
    expect(r.doc.profile).toBe('unified@7.2');
    expect(r.doc.events).toBe(49);
    expect(refs(r.doc)).toEqual({ '0x48050': 0, '0x48051': 0, '0x48052': 0, '0x48053': 0, '0x48054': 0, '0x48055': 0, '0x48058': 0, '0x48400': 0, '0x48600': 0 });
  });

  it('k612dbg-ext4-daxwork.trace.txt: legacy@6.12, 14 events, every page back at idle 1, exit 0', async () => {
    const r = await json('events/traces/k612dbg-ext4-daxwork.trace.txt');
    expect(r.status).toBe(0);
    expect(r.doc.profile).toBe('legacy@6.12');
    expect(r.doc.events).toBe(14);
    expect(refs(r.doc)).toEqual({ '0x48050': 1, '0x48051': 1, '0x48054': 1, '0x48055': 1, '0x48058': 1, '0x48600': 1, '0x48601': 1 });
  });

  it('tells a trace by content: the same trace-cmd text under a .jsonl name replays the same', async () => {
    const path = join(dir, 'looks-like.jsonl');
    copyFileSync('events/traces/k72dbg-ext4-daxwork.tracecmd.txt', path);
    const r = await json(path);
    expect(r.status).toBe(0);
    expect(r.doc.events).toBe(49);
    expect(refs(r.doc)['0x48600']).toBe(0);
  });

  it('--at N is the state after N page_ref events; --pfn narrows it', async () => {
    const r = await json('events/traces/k72dbg-ext4-daxwork.trace.txt', '--at', '24', '--pfn', '0x48600');
    expect(r.status).toBe(0);
    expect(r.doc.events).toBe(24);
    expect(refs(r.doc)).toEqual({ '0x48600': 3 });
    const past = await cli('replay', 'events/traces/k72dbg-ext4-daxwork.trace.txt', '--at', '50');
    expect(past.status).toBe(2);
  });

  it('--model overrides the header kernel (legacy idle 1 vs the recorded 0: untraced changes, exit 1)', async () => {
    const r = await json('events/traces/k72dbg-ext4-daxwork.trace.txt', '--model', 'legacy');
    expect(r.status).toBe(1);
    expect(r.doc.profile).toBe('legacy@6.14');
    expect(r.doc.findings.length).toBeGreaterThan(0);
    expect(r.doc.findings.every((f) => f.code === 'untraced-change' && f.severity === 'warn')).toBe(true);
  });

  it('prints what a page_ref replay does not follow as unknown, not as a value: ->mapping, mapcounts, ->index, a large folio\'s _pincount', async () => {
    const why = 'a page_ref replay does not follow ->mapping: the tracepoint prints it only as a hashed pointer, and no other event of the replay sets it';
    const mapcountWhy = 'a page_ref replay folds _refcount only: the _mapcount each event prints is not folded, and an rmap change (folio_add_file_rmap_*(), folio_remove_rmap_*()) prints no page_ref event';
    const pinWhy = "a large folio's _pincount, and so folio_maybe_dma_pinned(), is in no page_ref event (try_grab_folio() adds to it with atomic_add())";
    const text = await cli('replay', 'events/traces/k72dbg-ext4-daxwork.trace.txt', '--pfn', '0x48600');
    expect(text.status).toBe(0);
    expect(text.stdout).toBe([
      'profile: unified@7.2    events: 49    folios: 1',
      '',
      'head     order  refcount  mapcount  pincount  pgmap  mapping',
      '0x48600  9      0         ?         ?         pmem0  ?',
      `mapping ?: unknown (${why})`,
      `mapcount ?: unknown (${mapcountWhy})`,
      `pincount ?: unknown (${pinWhy})`,
      '',
      'findings: none',
      '',
    ].join('\n'));
    // line 187 of the trace prints mapcount=0 (the page mapped); the replay does not fold it
    const at9 = await cli('replay', 'events/traces/k72dbg-ext4-daxwork.trace.txt', '--pfn', '0x48050', '--at', '9');
    expect(at9.stdout.split('\n')).toContain('0x48050  0      1         ?         -         pmem0  ?');
    expect(at9.stdout).not.toContain('pincount ?');
    const pages = await cli('replay', 'events/traces/k72dbg-ext4-daxwork.trace.txt', '--pfn', '0x48600', '--pages');
    expect(pages.stdout.split('\n')).toContain('  0x48601  page  0  _mapcount ?  0xffffea0001218001  ?  reserved');
    const r = await cli('replay', 'events/traces/k72dbg-ext4-daxwork.trace.txt', '--pfn', '0x48050', '--pages', '--format', 'json');
    const doc = JSON.parse(r.stdout) as { untracked?: Record<string, string>; folios: Record<string, unknown>[] };
    expect(doc.untracked).toEqual({ mapping: why, index: 'the page_ref tracepoint does not print ->index/->share', largeFolio: pinWhy, mapcount: mapcountWhy });
    const f = doc.folios[0]!;
    expect([f.mapping, f.mapcount, f.index, f.share, f.pincount, f.maybeDmaPinned]).toEqual(['unknown', 'unknown', 'unknown', 'unknown', null, false]);
    expect((f.pages as Record<string, unknown>[]).map((p) => [p.mapping, p.mapcount])).toEqual([['unknown', 'unknown']]);
    const large = JSON.parse((await cli('replay', 'events/traces/k72dbg-ext4-daxwork.trace.txt', '--pfn', '0x48600', '--format', 'json')).stdout) as { folios: Record<string, unknown>[] };
    expect([large.folios[0]!.order, large.folios[0]!.pincount, large.folios[0]!.maybeDmaPinned]).toEqual([9, 'unknown', 'unknown']);
  });

  it('exits 2 on a bad page_ref line, with file:line:column', async () => {
    const path = join(dir, 'bad.txt');
    writeFileSync(path, 'KTRACE-BEGIN kernel=7.2.13\n# pmem: 40000000-5fffffff : x;\n  a-1 [000] ..... 1.000000: page_ref_mod: pfn=0x48000 flags=reserved count=x mapcount=-1 mapping=0 mt=1 val=1\n');
    const r = await cli('replay', path);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${path}:3:`);
    expect(r.stderr).toContain('BAD_FIELD');
  });

  it('exits 2 when neither the header nor the flags name a kernel', async () => {
    const path = join(dir, 'nokernel.txt');
    writeFileSync(path, '# tracer: nop\n  a-1 [000] ..... 1.000000: page_ref_mod: pfn=0x48000 flags=reserved count=1 mapcount=-1 mapping=0 mt=1 val=1\n');
    const r = await cli('replay', path);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('names no kernel');
    const ok = await json(path, '--kernel', '7.0');
    expect(ok.status).toBe(0);
    expect(refs(ok.doc)['0x48000']).toBe(1);
  });

  it('--pfn of a tail resolves to its head through the head flag: 0x48601 is in the order-9 folio at 0x48600 (issue #12)', async () => {
    // line 154: page_ref_mod pfn=0x48600 flags=reserved|head count=1, the first of the PMD write fault
    for (const [at, refcount] of [[1, 1], [2, 2], [3, 1]] as const) {
      const r = await json('events/traces/k72dbg-ext4-daxwork.trace.txt', '--at', String(at), '--pfn', '0x48601');
      expect(r.doc.folios).toEqual([expect.objectContaining({ head: '0x48600', order: 9, pfns: ['0x48600', '0x487ff'], refcount })]);
    }
    // the same through trace-cmd's hex flags (0x2040: reserved|head on 7.2), decoded with the header kernel's flag table
    const tc = await json('events/traces/k72dbg-ext4-daxwork.tracecmd.txt', '--at', '2', '--pfn', '0x48601');
    expect(tc.doc.folios).toEqual([expect.objectContaining({ head: '0x48600', order: 9, refcount: 2 })]);
  });

  it('--kernel 6.12 on the 7.2 trace warns that the events show a unified kernel, naming them (issue #12)', async () => {
    const r = await cli('replay', 'events/traces/k72dbg-ext4-daxwork.trace.txt', '--kernel', '6.12');
    expect(r.stderr).toContain('dax-refsim: warning: the trace shows a unified kernel, not legacy@6.12 as --kernel 6.12 says: line 154: pfn 0x48600 is at count 0 before its first event');
  });
});
