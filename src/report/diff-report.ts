/**
 * diff reports: text (a summary table, then each divergence with its explanation),
 * JSON (the issue #4 shape) and Markdown. Values in, strings out; no I/O.
 */
import { hex } from '../kernel/constants.ts';
import { prettyJson } from './replay-json.ts';
import type { DiffResult } from '../diff/diff-runs.ts';
import { DIVERGENCE_CLASSES, type Divergence, type FieldValue } from '../diff/divergence.ts';

/** The JSON document of a diff (stable key order, pfns as hex strings). */
export function diffJson(r: DiffResult): string {
  const doc = {
    models: r.models,
    ops: r.ops,
    divergences: r.divergences.map((d) => ({
      seq: d.seq,
      op: d.op,
      ...(d.line !== undefined ? { line: d.line } : {}),
      ...(d.phase !== undefined ? { phase: d.phase } : {}),
      pfn: hex(d.pfn),
      pfns: [hex(d.pfns[0]), hex(d.pfns[1])],
      class: d.class,
      field: d.field,
      a: d.a,
      b: d.b,
      explanation: d.explanation,
    })),
    summary: r.summary,
  };
  return `${prettyJson(doc)}\n`;
}

function value(v: FieldValue): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
}

function range(d: Divergence): string {
  return d.pfns[0] === d.pfns[1] ? hex(d.pfn) : `${hex(d.pfns[0])}–${hex(d.pfns[1])}`;
}

/** Plain text: a summary table, then one paragraph per divergence. */
export function diffText(r: DiffResult): string {
  const [a, b] = r.models;
  const lines = [`dax-refsim diff: ${a} vs ${b}, ${r.ops} ops, ${r.divergences.length} divergence(s)`, ''];
  const w = Math.max(...DIVERGENCE_CLASSES.map((c) => c.length));
  lines.push(`${'class'.padEnd(w)}  count`);
  for (const c of DIVERGENCE_CLASSES) lines.push(`${c.padEnd(w)}  ${r.summary[c]}`);
  for (const d of r.divergences) {
    lines.push('', `#${d.seq} ${d.op}${d.line !== undefined ? ` (line ${d.line}${d.phase !== undefined ? `, PHASE ${d.phase}` : ''})` : ''}  ${range(d)}  ${d.class}  ${d.field}: ${a}=${value(d.a)} ${b}=${value(d.b)}`);
    lines.push(`  ${d.explanation}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Markdown: a summary table and a table of divergences, then the explanations. */
export function diffMarkdown(r: DiffResult): string {
  const [a, b] = r.models;
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`# dax-refsim diff: \`${a}\` vs \`${b}\``, '', `${r.ops} ops, ${r.divergences.length} divergence(s).`, '', '| class | count |', '|---|---|'];
  for (const c of DIVERGENCE_CLASSES) out.push(`| ${c} | ${r.summary[c]} |`);
  if (r.divergences.length) {
    out.push('', `| op | pfns | class | field | ${a} | ${b} |`, '|---|---|---|---|---|---|');
    for (const d of r.divergences) out.push(`| #${d.seq} ${d.op} | ${range(d)} | ${d.class} | ${d.field} | ${esc(value(d.a))} | ${esc(value(d.b))} |`);
    out.push('', '## Explanations', '');
    for (const d of r.divergences) out.push(`- **#${d.seq} ${d.op}, ${range(d)}, ${d.class}**: ${esc(d.explanation)}`);
  }
  return `${out.join('\n')}\n`;
}
