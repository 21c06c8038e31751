/**
 * A recording with one probe's event lines filtered out (`grep -v ' try_grab_folio: '`),
 * or recorded with that probe not enabled: its page_ref events then sit in no operation
 * the remaining probe events show. A bare decrement used to be lifted as a put of -val
 * pages (a gup_put_folio() of one pin, val -1024, became a put of 1024 pages: a
 * thousand put-on-freed-page findings), and a bare increment was left for no Op to
 * explain (the model's count fell behind the kernel's: count mismatches and underflows
 * the kernel never had). Each such event is now its own change, later disagreements on
 * its folio are unknown with the event named, and an assumption says so.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { traceText } from '../lift/fixtures.ts';
import { checkDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-partial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The event name of a trace line (`task-pid [cpu] flags ts: name: ...`), or null. */
const EVENT = /^\s*\S.*?\[\d+\]\s+(?:\S+\s+)?[\d.]+:\s+([A-Za-z0-9_]+):/;

/** The trace without the event lines of one probe (its header kept). */
function without(text: string, name: string): string {
  return text
    .split('\n')
    .filter((l) => l.startsWith('#') || EVENT.exec(l)?.[1] !== name)
    .join('\n');
}

/** The probes the header defines (`p:grp/NAME`, `r10:grp/NAME`) that have events in the trace. */
function probesFired(text: string): string[] {
  const defined = new Set([...text.matchAll(/^#\s+[pr]\d*:[^/\s]+\/(\S+) /gm)].map((m) => m[1]!));
  const fired = new Set(text.split('\n').flatMap((l) => (l.startsWith('#') ? [] : [EVENT.exec(l)?.[1] ?? ''])));
  return [...defined].filter((n) => fired.has(n)).sort();
}

function temp(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const bareAssumption = (n: number, first: string, folded: number, resynced: number, replayed: number, doubted: number): string =>
  `the trace has probe events, but ${n} page_ref event(s) are part of no operation its probe events show (first: ${first} with no probe event of its operation around it; the probe lines filtered out, or the probe not enabled?): ${folded} folded as their own changes, not lifted as a guessed Op (${resynced} resynced as untraced, the count before it differing from the model's; their ret compared, mapcounts not), ${replayed} decrement(s) of one reference replayed as the put_page() lifted from them (the model's count agreeing before them); from the first such event on a folio, a disagreement there (mismatch, untraced change, finding) is unknown, the missing operation's other effects not being replayed (${doubted} made unknown)`;

const bareUnknown = (what: string): string =>
  `${what} with no probe event of its operation around it: the operation it is part of is missing from the trace (its probe lines filtered out, or the probe not enabled?), so the model's state of this folio may lack what that operation did`;

/** What a variant checks to where it is not 0 unknowns, 0 untraced and no assumption. */
interface Expected {
  readonly unknown?: number;
  readonly untraced?: number;
  readonly assumptions?: readonly string[];
  readonly reasons?: readonly string[];
}

const EXPECTED: Record<string, { readonly probes: number; readonly rows: Record<string, Expected> }> = {
  'k72dbg-ext4-daxwork': {
    probes: 28,
    rows: {
      // dax_folio_reset_order() sets the order a PMD folio's pages had to 0: unseen, the
      // next snap's counts are untraced changes (resynced), as any untraced change is
      dax_folio_reset_order: { untraced: 4 },
      try_grab_folio: {
        unknown: 2,
        assumptions: [bareAssumption(7, 'line 228: page_ref_mod of pfn 0x48050 (val +1024)', 6, 0, 1, 2)],
        reasons: [bareUnknown('line 237: page_ref_mod of pfn 0x48600 (val +1)')],
      },
      try_grab_folio_fast: {
        unknown: 1,
        assumptions: [bareAssumption(2, 'line 288: page_ref_mod_unless of pfn 0x48058 (val +1)', 1, 0, 1, 0)],
        reasons: ['the model emits no exit marker of try_grab_folio_fast there'],
      },
    },
  },
  'k612dbg-ext4-daxwork': {
    probes: 21,
    rows: {
      try_grab_folio: { assumptions: [bareAssumption(6, 'line 192: page_ref_mod of pfn 0x48050 (val +1024)', 6, 0, 0, 0)] },
      try_grab_folio_fast: {
        unknown: 1,
        assumptions: [bareAssumption(1, 'line 262: page_ref_mod_unless of pfn 0x48058 (val +1)', 1, 0, 0, 0)],
        reasons: ['the model emits no exit marker of try_grab_folio_fast there'],
      },
    },
  },
};

describe('one probe filtered out of a page_ref recording', () => {
  for (const [trace, { probes, rows }] of Object.entries(EXPECTED)) {
    const text = traceText(`${trace}.trace.txt`);
    const names = probesFired(text);
    it(`${trace}: one variant per probe with events (${probes})`, () => {
      expect(names).toHaveLength(probes);
      for (const n of Object.keys(rows)) expect(names).toContain(n);
    });
    it.each(names)(`${trace} without %s: no mismatch, no finding, exit 0; unknowns and assumption as listed`, async (name) => {
      const body = without(text, name);
      expect(body.split('\n').length).toBeLessThan(text.split('\n').length);
      const { code, doc } = await checkDoc({ trace: temp(`${trace}-${name}.txt`, body) });
      const e = rows[name] ?? {};
      expect(code).toBe(0);
      expect(doc.mode).toBe('ops');
      expect(doc.mismatches).toEqual([]);
      expect(doc.findings).toEqual([]);
      expect(doc.unknown).toBe(e.unknown ?? 0);
      expect(doc.untraced).toHaveLength(e.untraced ?? 0);
      expect(doc.assumptions).toEqual(e.assumptions ?? []);
      if (e.reasons !== undefined) expect([...new Set((doc.unknowns ?? []).map((u) => u.reason))]).toEqual(e.reasons);
    });
  }

  it('k73dbg ext4-fsdax-gup without gup_put_folio: the unpin of one pin (val -1024) is no put of 1024 pages', async () => {
    const text = gunzipSync(readFileSync(new URL('../fixtures/vmtest/k73dbg-ext4-fsdax-gup.trace.txt.gz', import.meta.url))).toString('utf8');
    const body = without(text, 'gup_put_folio');
    // the decrements of the pins whose gup_put_folio() lines are gone (three in an
    // unpin_user_pages() Op, two bare)
    expect(body.split('\n').filter((l) => /page_ref_mod_and_test: .* val=-1024 /.test(l))).toHaveLength(5);
    const { code, doc } = await checkDoc({ trace: temp('k73dbg-gup-no-gup_put_folio.txt', body) });
    expect(code).toBe(0);
    expect(doc.mismatches).toEqual([]);
    expect(doc.findings).toEqual([]);
    expect(doc.findings.filter((f) => f.code === 'put-on-freed-page')).toEqual([]);
    expect(doc.unknown).toBe(1);
    expect(doc.untraced).toEqual([]);
    expect((doc.unknowns ?? []).map((u) => u.reason)).toEqual([bareUnknown('line 371: page_ref_mod_and_test of pfn 0x48600 (val -1)')]);
    expect(doc.assumptions).toEqual([bareAssumption(10, 'line 310: page_ref_mod_and_test of pfn 0x48051 (val -1)', 2, 0, 8, 1)]);
  });

  it("a bare event's ret is compared: one changed is a mismatch (exit 1), not an unknown", async () => {
    const text = gunzipSync(readFileSync(new URL('../fixtures/vmtest/k73dbg-ext4-fsdax-gup.trace.txt.gz', import.meta.url))).toString('utf8');
    const lines = without(text, 'gup_put_folio').split('\n');
    // the unpin of a long-term pin whose gup_put_folio() line is gone: page_ref_sub_and_test() returned 0
    expect(lines[421]).toMatch(/page_ref_mod_and_test: pfn=0x48053 .* count=1 .* val=-1024 ret=0$/);
    const { code, doc } = await checkDoc({ trace: temp('ret-changed.txt', lines.map((l, j) => (j === 421 ? l.replace(/ret=0$/, 'ret=1') : l)).join('\n')) });
    expect(code).toBe(1);
    expect(doc.mismatches).toEqual([{ line: 422, pfn: '0x48053', field: 'ret', recorded: 1, simulated: 0, function: 'page_ref_mod_and_test' }]);
    expect(doc.findings).toEqual([]);
  });

  it('with every probe line filtered out, a page_ref ret changed is a mismatch too', async () => {
    const body = traceText('k72dbg-ext4-daxwork.trace.txt').split('\n').filter((l) => /: page_ref_|^#|^KTRACE/.test(l));
    const i = body.findIndex((l) => /page_ref_mod_and_test: .* ret=0$/.test(l));
    expect(i).toBeGreaterThan(0);
    const { code, doc } = await checkDoc({ trace: temp('ret-stripped.txt', body.map((l, j) => (j === i ? l.replace(/ret=0$/, 'ret=1') : l)).join('\n')) });
    expect(code).toBe(1);
    const pfn = /pfn=(0x[0-9a-f]+) /.exec(body[i]!)![1];
    expect(doc.mismatches).toEqual([{ line: i + 1, pfn, field: 'ret', recorded: 1, simulated: 0, function: 'page_ref_mod_and_test' }]);
    expect(doc.findings).toEqual([]);
  });
});
