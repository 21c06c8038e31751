/**
 * prettyJson's text written a piece at a time: a report with long lists (a check of a
 * trace that disagrees everywhere) is never held as one string, which V8 caps at about
 * 512 MiB (`RangeError: Invalid string length`, issue 16 item 4). The output is
 * byte-identical to prettyJson's.
 */
import { prettyJson } from './replay-json.ts';

/** Writes `prettyJson(value, indent)` to `emit` in pieces, entry by entry. */
export function writePrettyJson(value: unknown, emit: (text: string) => void, indent = ''): void {
  if (value === null || typeof value !== 'object') {
    emit(prettyJson(value, indent));
    return;
  }
  const entries: [string | null, unknown][] = Array.isArray(value)
    ? value.map((v: unknown) => [null, v])
    : Object.entries(value).filter(([, v]) => v !== undefined);
  const scalar = (v: unknown): boolean => v === null || typeof v !== 'object';
  // what prettyJson may print on one line (no container but arrays of scalars): its own text
  if (entries.length === 0 || entries.every(([, v]) => scalar(v) || (Array.isArray(v) && v.every(scalar)))) {
    emit(prettyJson(value, indent));
    return;
  }
  // anything else prettyJson prints one entry per line: so does this, entry by entry
  const inner = `${indent}  `;
  emit(Array.isArray(value) ? '[\n' : '{\n');
  entries.forEach(([k, v], i) => {
    emit(`${inner}${k === null ? '' : `${JSON.stringify(k)}: `}`);
    writePrettyJson(v, emit, inner);
    if (i < entries.length - 1) emit(',\n');
  });
  emit(`\n${indent}${Array.isArray(value) ? ']' : '}'}`);
}
