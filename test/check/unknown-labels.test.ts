/**
 * What an unknown at a filtered-out operation says (checker.ts noteUnlifted, tally.ts
 * untracedChange): the event and value its line records, and what the missing operation
 * would have done on the model's kernel family.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { traceText } from '../lift/fixtures.ts';
import { checkDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-unknown-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The event name of a trace line (`task-pid [cpu] flags ts: name: …`), or null. */
const EVENT = /^\s*\S.*?\[\d+\]\s+(?:\S+\s+)?[\d.]+:\s+([A-Za-z0-9_]+):/;

/** The trace without the event lines whose name matches `drop` (the header kept). */
function without(name: string, drop: RegExp): string {
  const path = join(dir, `${name}.${drop.source.replace(/\W/g, '')}`);
  writeFileSync(path, traceText(name).split('\n').filter((l) => l.startsWith('#') || !drop.test(EVENT.exec(l)?.[1] ?? '')).join('\n'));
  return path;
}

describe('an untraced change made unknown at a page_ref event names that event', () => {
  it('k72dbg-ext4-daxwork without its dax_* lines: the count before each unlifted insert is page_ref_mod\'s, not a snap\'s', async () => {
    const { doc } = await checkDoc({ trace: without('k72dbg-ext4-daxwork.trace.txt', /^dax_/) });
    const why = (line: number, fn: string, pfn: string, fault: string): string =>
      `line ${line}: ${fn} of pfn ${pfn} is part of no fault the trace shows (no ${fault} event around it: those probe lines filtered out, or the probe not enabled?): the fault is not lifted, so the model's state of this folio lacks the mapping and references it made`;
    const PTE = 'dax_pte_fault and dax_pte_fault_done (or dev_dax_huge_fault)';
    // each line records count=2 val=1: the count before it is 1, the model's 0
    expect((doc.unknowns ?? []).filter((u) => u.field === 'count before' || (u.field === 'count' && u.function === 'ksys_write'))).toEqual([
      { line: 161, pfn: '0x48400', field: 'count before', recorded: 1, simulated: 0, function: 'page_ref_mod', reason: why(160, 'vmf_insert_folio_pmd', '0x48400', 'dax_pmd_fault and dax_pmd_fault_done (or dev_dax_huge_fault)') },
      { line: 236, pfn: '0x48055', field: 'count before', recorded: 1, simulated: 0, function: 'page_ref_mod', reason: why(234, 'vmf_insert_page_mkwrite', '0x48055', PTE) },
      { line: 252, pfn: '0x48058', field: 'count before', recorded: 1, simulated: 0, function: 'page_ref_mod', reason: why(250, 'vmf_insert_page_mkwrite', '0x48058', PTE) },
    ]);
  });
});

describe('a filtered-out fault on a legacy kernel: it took no reference', () => {
  it('k612-ext4-daxrace without its dax_* lines: the pinned page\'s snap is unknown for the GUP through the mapping, not for references the fault made', async () => {
    const { code, doc } = await checkDoc({ trace: without('k612-ext4-daxrace.trace.txt', /^dax_/) });
    expect(code).toBe(0);
    expect(doc.unknowns).toEqual([
      {
        line: 145, pfn: '0x48052', field: 'r_48052', recorded: 1025, simulated: 1, function: 'ksys_write',
        reason: "line 136: vmf_insert_mixed_mkwrite of pfn 0x48052 is part of no fault the trace shows (no dax_pte_fault and dax_pte_fault_done (or dev_dax_huge_fault) event around it: those probe lines filtered out, or the probe not enabled?): the fault is not lifted, so the model's state lacks the mapping it made and any GUP reference taken through it (a legacy DAX fault itself takes no reference)",
      },
    ]);
  });
});
