/**
 * The replay report for people: a table of folios (head, order, refcount,
 * mapcount, pincount, pgmap, mapping), then the findings as
 * `seq #N code (function): message`. Values in, a string out; no fs.
 */
import { hex } from '../kernel/constants.ts';
import { formatPageFlags } from '../kernel/page-flags.ts';
import type { Finding } from '../state/finding.ts';
import { PAGE_REF_UNTRACKED, reportFolios, type ReplayReportInput } from './replay-json.ts';

import { lossText } from '../engine/loss.ts';

/** The cell of a field the replay does not follow (a page_ref trace; a legend line says why). */
const UNKNOWN_CELL = '?';

/** Lays out rows as left-aligned columns (the last column is not padded). */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** One finding line: `seq #N code (function): message`. */
export function formatFinding(f: Finding): string {
  return `seq #${f.seq} ${f.code} (${f.function}): ${f.message}`;
}

/** The text report. */
export function formatReplayText(input: ReplayReportInput): string {
  const folios = reportFolios(input);
  const out: string[] = [`profile: ${input.profile ?? 'none (RefEvent replay)'}    events: ${input.events}    folios: ${folios.length}`, ''];
  if (folios.length === 0) out.push('no folio was written');
  else {
    const rows: string[][] = [['head', 'order', 'refcount', 'mapcount', 'pincount', 'pgmap', 'mapping']];
    const pageRows = new Map<number, string[][]>();
    // `-` is a NULL ->mapping; `?` one the replay does not follow (a page_ref trace)
    const unknown = input.pageRefTrace === true;
    const mapping = (m: string | null): string => (unknown ? UNKNOWN_CELL : (m ?? '-'));
    for (const f of folios) {
      // a page_ref replay folds no mapcount, and a large folio's _pincount is in no page_ref event (PAGE_REF_UNTRACKED)
      const large = unknown && f.order > 0;
      rows.push([hex(f.head), String(f.order), String(f.refcount), unknown ? UNKNOWN_CELL : String(f.mapcount), large ? UNKNOWN_CELL : f.pincount === null ? '-' : String(f.pincount), f.pgmap, mapping(f.mapping)]);
      if (input.pages) {
        pageRows.set(rows.length - 1, f.pages.map(({ pfn, page }) => [
          `  ${hex(pfn)}`, 'page', String(page.refcount), `_mapcount ${unknown ? UNKNOWN_CELL : page.mapcount}`,
          typeof page.word1 === 'bigint' ? hex(page.word1) : page.word1, mapping(page.mapping), formatPageFlags(page.flags) || '-',
        ]));
      }
    }
    const lines = table(rows);
    lines.forEach((line, i) => {
      out.push(line);
      const pages = pageRows.get(i);
      if (pages && pages.length > 0) out.push(...table(pages));
    });
    if (unknown) out.push(`mapping ${UNKNOWN_CELL}: unknown (${PAGE_REF_UNTRACKED.mapping})`);
    if (unknown) out.push(`mapcount ${UNKNOWN_CELL}: unknown (${PAGE_REF_UNTRACKED.mapcount})`);
    if (unknown && folios.some((f) => f.order > 0)) out.push(`pincount ${UNKNOWN_CELL}: unknown (${PAGE_REF_UNTRACKED.largeFolio})`);
  }
  out.push('');
  if (input.findings.length === 0) out.push('findings: none');
  else {
    out.push(`findings (${input.findings.length}):`);
    for (const f of input.findings) out.push(formatFinding(f));
  }
  if (input.lost) {
    const { losses, unknown } = input.lost;
    out.push('', ...losses.at.map((l) => `lost: ${lossText(l)}; from seq #${losses.fromSeq} on a finding is unknown (a lost event may explain it)`));
    if (unknown.length > 0) {
      out.push(`unknown (${unknown.length}):`);
      for (const f of unknown) out.push(formatFinding(f));
    }
  }
  if (input.state.world.waiters.length > 0) {
    out.push('', `waiters (${input.state.world.waiters.length}):`);
    for (const w of input.state.world.waiters) out.push(`Op #${w.waiter} ${w.fn} waits on ${hex(w.pfn)} until refcount ${w.until} (${w.file} ${w.start}-${w.end})`);
  }
  return `${out.join('\n')}\n`;
}
