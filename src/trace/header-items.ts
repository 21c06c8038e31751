/**
 * Parsers for the values of single header lines and block items: `# kconfig:`,
 * `# pmem:`, `# daxX.Y:`, `# filters:` items and `# kallsyms (selected):` items.
 */
import { makeIssue, type IssueSite, type ParseIssue } from './issues.ts';
import type { DaxDeviceInfo, EventFilter, IomemRange, KallsymsEntry, KconfigValue } from './header-types.ts';

/**
 * `CONFIG_A=y CONFIG_B=n CONFIG_C="text"` → record. A token that is not `CONFIG_X=V`
 * is reported (BAD_HEADER) and skipped. `at` is the value's offset in the line.
 */
export function parseKconfig(
  value: string,
  site: IssueSite,
  at: number,
  report: (issue: ParseIssue) => void,
): Record<string, KconfigValue> {
  const out: Record<string, KconfigValue> = {};
  for (const m of value.matchAll(/\S+/g)) {
    const kv = /^(CONFIG_\w+)=(.*)$/.exec(m[0]);
    if (kv) out[kv[1] ?? ''] = unquote(kv[2] ?? '');
    else report(makeIssue(site, 'BAD_HEADER', at + m.index, `expected CONFIG_NAME=value, got '${m[0]}'`));
  }
  return out;
}

/**
 * `40000000-5fffffff : Persistent Memory (legacy); …` (one or more `/proc/iomem`
 * ranges separated by `;`) → ranges. Malformed parts are reported and skipped.
 */
export function parsePmem(
  value: string,
  site: IssueSite,
  at: number,
  report: (issue: ParseIssue) => void,
): IomemRange[] {
  const out: IomemRange[] = [];
  let offset = at;
  for (const part of value.split(';')) {
    const m = /^\s*([0-9a-f]+)-([0-9a-f]+)\s*:\s*(.*?)\s*$/i.exec(part);
    const start = m ? BigInt(`0x${m[1] ?? '0'}`) : 0n;
    const end = m ? BigInt(`0x${m[2] ?? '0'}`) : 0n;
    // /proc/iomem prints a resource's first and last byte: a physical address below 2^52 (MAX_PHYSMEM_BITS)
    if (m && (end < start || end >= 1n << 52n)) report(makeIssue(site, 'BAD_HEADER', offset + part.indexOf(m[1] ?? ''), `${m[1] ?? ''}-${m[2] ?? ''}: expected START-END with START <= END < 2^52 (MAX_PHYSMEM_BITS)`, 'error'));
    else if (m) out.push({ start, end, name: m[3] ?? '' });
    else if (part.trim() !== '') report(makeIssue(site, 'BAD_HEADER', offset, 'expected START-END : NAME'));
    offset += part.length + 1;
  }
  return out;
}

/**
 * `align=… resource=… size=…; ndctl: { json }` → settings and the parsed ndctl JSON.
 */
export function parseDaxDevice(device: string, value: string, line: number): DaxDeviceInfo {
  const semi = value.indexOf(';');
  const head = semi < 0 ? value : value.slice(0, semi);
  const settings: Record<string, string> = {};
  for (const m of head.matchAll(/(\w+)=(\S+)/g)) settings[m[1] ?? ''] = m[2] ?? '';
  const ndctlAt = value.indexOf('ndctl:');
  if (ndctlAt < 0) return { line, device, settings, text: value };
  try {
    const ndctl: unknown = JSON.parse(value.slice(ndctlAt + 'ndctl:'.length));
    return { line, device, settings, ndctl, text: value };
  } catch {
    return { line, device, settings, text: value };
  }
}

/** `EVENT: FILTER` / `EVENT: none` / `SYSTEM (system): FILTER` → filter, or `null`. */
export function parseFilter(item: string, line: number): EventFilter | null {
  const m = /^([^:]+?)(?:\s+\((system)\))?:\s*(.*)$/.exec(item);
  if (!m) return null;
  const filter = (m[3] ?? '').trim();
  return {
    line,
    event: m[1] ?? '',
    scope: m[2] === 'system' ? 'system' : 'event',
    filter: filter === 'none' || filter === '' ? null : filter,
  };
}

/** `ffffffff8134da18 t try_grab_folio_fast [module]` → entry, or `null`. */
export function parseKallsyms(item: string): KallsymsEntry | null {
  const m = /^([0-9a-f]+)\s+(\S)\s+(\S+)(?:\s+\[([^\]]+)\])?\s*$/i.exec(item);
  if (!m) return null;
  return { address: BigInt(`0x${m[1] ?? '0'}`), type: m[2] ?? '', name: m[3] ?? '', module: m[4] ?? null };
}

/** Strips one level of double quotes. */
function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}
