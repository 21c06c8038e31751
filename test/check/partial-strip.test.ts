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
import { readdirSync } from 'node:fs';
import { TRACES, traceText } from '../lift/fixtures.ts';
import { checkDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-partial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The event name of a trace line (`task-pid [cpu] flags ts: name: ...`), or null. */
const EVENT = /^\s*\S.*?\[\d+\]\s+(?:\S+\s+)?[\d.]+:\s+([A-Za-z0-9_]+):/;

/** The trace without the event lines of the given probes (its header kept). */
function without(text: string, ...names: string[]): string {
  return text
    .split('\n')
    .filter((l) => l.startsWith('#') || !names.includes(EVENT.exec(l)?.[1] ?? ''))
    .join('\n');
}

/** The line number in `text` of each line `without(text, ...names)` keeps (index: its own line - 1). */
function keptLines(text: string, ...names: string[]): number[] {
  return text.split('\n').flatMap((l, i) => (l.startsWith('#') || !names.includes(EVENT.exec(l)?.[1] ?? '') ? [i + 1] : []));
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

const unliftedAssumption = (n: number, first: string, doubted: number): string =>
  `${n} probe event(s) of a DAX fault's insert or rmap, a GUP's grab or a bio's release are part of no operation the trace shows (first: ${first}): no operation is lifted from them; from the first such event on a folio, a disagreement there (mismatch, untraced change, finding) is unknown, the missing operation's mapping, references or pin not being replayed (${doubted} made unknown)`;

const FILTERED = ': those probe lines filtered out, or the probe not enabled?)';
const faultEvent = (line: number, fn: string, pfn: string, fault: string): string => `line ${line}: ${fn} of pfn ${pfn} is part of no fault the trace shows (no ${fault} event around it${FILTERED}`;
const grabEvent = (line: number, ev: string, pfn: string): string => `line ${line}: ${ev} of pfn ${pfn} is part of no GUP the trace shows (no try_grab_* entry event before it${FILTERED}`;
const faultUnknown = (what: string): string => `${what}: the fault is not lifted, so the model's state of this folio lacks the mapping and references it made`;
/** Under a legacy model: its DAX fault takes no reference (spec §5.1), the GUP through its mapping does. */
const legacyFaultUnknown = (what: string): string => `${what}: the fault is not lifted, so the model's state lacks the mapping it made and any GUP reference taken through it (a legacy DAX fault itself takes no reference)`;
const grabUnknown = (what: string): string => `${what}: the GUP is not lifted, so the model lacks the references or pin it took on this folio`;
const bioEvent = (line: number): string => `line ${line}: bio_release_pages unpins no folio the trace shows (no unpin_user_folio or gup_put_folio event of its folios after it${FILTERED}`;
const bioUnknown = (what: string): string => `${what}: the model still holds the pins of this folio the kernel may have released there`;
const PTE = 'dax_pte_fault and dax_pte_fault_done (or dev_dax_huge_fault)';
const PMD = 'dax_pmd_fault and dax_pmd_fault_done (or dev_dax_huge_fault)';

/**
 * The fault and grab families whose removal used to leave a mismatch or finding the full
 * trace lacks (scripts/strip-sweep.mjs over events/traces: 57 of these 83 variants were worse, of 75 in all): on
 * a kernel without page_ref events (or with, for a PMD fault's tail page) a filtered
 * fault leaves no bare page_ref event, only its insert/rmap probe events, lifted into
 * no Op.
 */
const FAMILIES: readonly (readonly string[])[] = [
  ['dax_pte_fault'], ['dax_pte_fault_done'], ['dax_pte_fault', 'dax_pte_fault_done'],
  ['dax_pmd_fault'], ['dax_pmd_fault_done'], ['dax_pmd_fault', 'dax_pmd_fault_done'],
  ['dev_dax_huge_fault'], ['dev_dax_huge_fault', 'dev_dax_huge_fault_ret'], ['try_grab_folio_fast'],
];

describe('a fault or grab probe filtered out: its insert, rmap or return events are lifted into no Op', () => {
  const traces = readdirSync(TRACES).filter((f) => f.endsWith('.txt')).sort();

  it('events/traces: no variant without one of these families has a mismatch or error finding its full trace lacks', async () => {
    let variants = 0;
    let doubting = 0;
    for (const t of traces) {
      const text = traceText(t);
      const fired = new Set(text.split('\n').map((l) => (l.startsWith('#') ? '' : (EVENT.exec(l)?.[1] ?? ''))));
      const full = (await checkDoc({ trace: temp(`full-${t}`, text) })).doc;
      const fullKeys = new Set([...full.mismatches.map((m) => `${m.line} ${m.pfn} ${m.field}`), ...full.findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.pfn} ${f.line}`)]);
      for (const fam of FAMILIES) {
        if (!fam.every((n) => fired.has(n))) continue;
        variants++;
        const orig = keptLines(text, ...fam);
        const { doc } = await checkDoc({ trace: temp(`${t}-${fam.join('+')}.txt`, without(text, ...fam)) });
        const extra = [
          ...doc.mismatches.map((m) => `${orig[m.line - 1]} ${m.pfn} ${m.field}`),
          ...doc.findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.pfn} ${f.line === undefined ? undefined : orig[f.line - 1]}`),
        ].filter((k) => !fullKeys.has(k));
        expect({ t, fam, extra }).toEqual({ t, fam, extra: [] });
        if ((doc.assumptions ?? []).some((a) => a.includes('are part of no operation the trace shows'))) doubting++;
      }
    }
    expect(variants).toBe(83);
    expect(doubting).toBe(66);
  });

  const rows: { trace: string; drop: string[]; unknown: number; assumption: string; reasons: string[] }[] = [
    {
      // unified 7.2 without page_ref events: the PMD fault's reference and mapping are not replayed
      trace: 'k72-ext4-daxwork', drop: ['dax_pmd_fault'], unknown: 21,
      assumption: unliftedAssumption(4, faultEvent(152, 'vmf_insert_folio_pmd', '0x48600', PMD), 9),
      reasons: [faultUnknown(faultEvent(152, 'vmf_insert_folio_pmd', '0x48600', PMD)), faultUnknown(faultEvent(159, 'vmf_insert_folio_pmd', '0x48400', PMD))],
    },
    {
      // with page_ref events: the put-on-freed-page finding on tail page 0x48601 (the model
      // never made the PMD folio) is unknown, the note covering the whole PMD
      trace: 'k72dbg-ext4-daxwork', drop: ['dax_pmd_fault'], unknown: 26,
      assumption: unliftedAssumption(4, faultEvent(153, 'vmf_insert_folio_pmd', '0x48600', PMD), 8),
      reasons: [faultUnknown(faultEvent(153, 'vmf_insert_folio_pmd', '0x48600', PMD)), faultUnknown(faultEvent(163, 'vmf_insert_folio_pmd', '0x48400', PMD))],
    },
    {
      // legacy 6.1: insert_pfn()/vmf_insert_mixed_mkwrite() with a pfn_t; the GUP of the page the model never mapped is not replayed
      trace: 'k61-ext4-daxwork', drop: ['dax_pte_fault'], unknown: 1,
      assumption: unliftedAssumption(14, faultEvent(170, 'vmf_insert_mixed_mkwrite', '0x48050', PTE), 1),
      reasons: [legacyFaultUnknown(faultEvent(239, 'vmf_insert_mixed_mkwrite', '0x48058', PTE))],
    },
    {
      trace: 'k72-devdax-devdaxwork', drop: ['dev_dax_huge_fault'], unknown: 27,
      assumption: unliftedAssumption(3, faultEvent(207, 'vmf_insert_folio_pud', '0x140000', 'dev_dax_huge_fault'), 12),
      reasons: [faultUnknown(faultEvent(207, 'vmf_insert_folio_pud', '0x140000', 'dev_dax_huge_fault'))],
    },
    {
      trace: 'k72-ext4-daxwork', drop: ['try_grab_folio_fast'], unknown: 2,
      assumption: unliftedAssumption(1, grabEvent(248, 'try_grab_folio_fast_ret', '0x48058'), 1),
      reasons: [grabUnknown(grabEvent(248, 'try_grab_folio_fast_ret', '0x48058'))],
    },
    {
      // 6.12 device-dax fast GUP: gup_fast_devmap_leaf() names the pfn of the grab that is gone
      trace: 'k612-devdax-devdaxwork', drop: ['try_grab_folio_fast'], unknown: 6,
      assumption: unliftedAssumption(2, grabEvent(203, 'gup_fast_devmap_leaf', '0x144000'), 2),
      reasons: [grabUnknown(grabEvent(203, 'gup_fast_devmap_leaf', '0x144000'))],
    },
    {
      // the DIO completion's unpins gone: the folios the model holds pinned there may have been released
      trace: 'k72-ext4-daxwork', drop: ['unpin_user_folio'], unknown: 11,
      assumption: unliftedAssumption(1, bioEvent(237), 2),
      reasons: [bioUnknown(bioEvent(237))],
    },
    {
      trace: 'k72-ext4-daxrace', drop: ['unpin_user_folio'], unknown: 8,
      assumption: unliftedAssumption(1, bioEvent(189), 1),
      reasons: [bioUnknown(bioEvent(189))],
    },
  ];

  it.each(rows)('$trace without $drop: exit 0, no mismatch, no finding; $unknown unknown, the event named', async ({ trace, drop, unknown, assumption, reasons }) => {
    const { code, doc } = await checkDoc({ trace: temp(`${trace}-${drop.join('+')}-row.txt`, without(traceText(`${trace}.trace.txt`), ...drop)) });
    expect(code).toBe(0);
    expect(doc.mismatches).toEqual([]);
    expect(doc.findings).toEqual([]);
    expect(doc.unknown).toBe(unknown);
    expect(doc.untraced).toEqual([]);
    expect((doc.assumptions ?? []).filter((a) => a.includes('are part of no operation the trace shows'))).toEqual([assumption]);
    expect([...new Set((doc.unknowns ?? []).map((u) => u.reason))].filter((r) => r.includes('the trace shows ('))).toEqual(reasons);
  });

  it('an insert of a pfn no pgmap covers (insert_pfn() of another device) notes nothing: the full k61 daxrace trace is unchanged', async () => {
    const { code, doc } = await checkDoc({ trace: temp('k61-daxrace-full.txt', traceText('k61-ext4-daxrace.trace.txt')) });
    expect(code).toBe(1);
    expect(doc.findings.map((f) => [f.code, f.pfn, f.line])).toEqual([['missed-wakeup', '0x48052', 175]]);
    expect(doc.unknown).toBe(0);
    expect(doc.assumptions).toEqual([]);
  });
});
