/**
 * The `(…)` location at the start of a kprobe event body.
 *
 * tracefs prints `%pS`: `(try_grab_folio+0x4/0x75)`, `(ext4_break_layouts+0x0/0x120 [ext4])`,
 * and for a kretprobe `(RETURN_SITE <- PROBED_FUNC)`:
 * `(dax_fault_iter+0x31d/0x4e8 <- vmf_insert_folio_pmd)`.
 *
 * `trace-cmd report` prints bare hex without `0x` and, following the event's format
 * string `(%lx <- %lx)` with `REC->__probe_func, REC->__probe_ret_ip`, puts the two
 * addresses the other way round: `(PROBED_FUNC <- RETURN_SITE)`.
 */
import type { CodeLocation, ProbeLocation } from './record-types.ts';

/** A location and where the body continues after it. */
export interface LocationScan {
  readonly location: ProbeLocation;
  /** 0-based offset just past the closing `)`. */
  readonly end: number;
}

const SYMBOLIC = /^([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?)?(?:\s+\[([^\]]+)\])?$/i;
const BARE_HEX = /^[0-9a-f]{8,16}$/i;
const PREFIXED_HEX = /^0x[0-9a-f]+$/i;

/**
 * Reads the location at the start of `body` (which must start with `(`). Returns
 * `null` when there is no closing `)`: the line was cut.
 */
export function scanProbeLocation(body: string): LocationScan | null {
  if (!body.startsWith('(')) return null;
  let close = body.indexOf(')');
  while (close >= 0 && close + 1 < body.length && body[close + 1] !== ' ') close = body.indexOf(')', close + 1);
  if (close < 0) return null;
  const text = body.slice(1, close);
  const arrow = text.indexOf(' <- ');
  if (arrow < 0) return { location: { kind: 'entry', text, at: parseCodeLocation(text) }, end: close + 1 };
  const left = parseCodeLocation(text.slice(0, arrow));
  const right = parseCodeLocation(text.slice(arrow + 4));
  // trace-cmd (bare hex on both sides) prints the probed function first.
  const traceCmdOrder = BARE_HEX.test(left.text) && BARE_HEX.test(right.text);
  const location: ProbeLocation = traceCmdOrder
    ? { kind: 'return', text, func: left, returnSite: right }
    : { kind: 'return', text, func: right, returnSite: left };
  return { location, end: close + 1 };
}

/** Parses `sym+off/size [mod]`, `sym`, `0xaddr` or bare-hex `addr`. */
export function parseCodeLocation(source: string): CodeLocation {
  const text = source.trim();
  if (BARE_HEX.test(text) || PREFIXED_HEX.test(text)) {
    const address = BigInt(text.startsWith('0x') || text.startsWith('0X') ? text : `0x${text}`);
    return { text, symbol: null, offset: null, size: null, module: null, address };
  }
  const m = SYMBOLIC.exec(text);
  if (!m) return { text, symbol: null, offset: null, size: null, module: null, address: null };
  return {
    text,
    symbol: m[1] ?? null,
    offset: m[2] === undefined ? null : Number(m[2]),
    size: m[3] === undefined ? null : Number(m[3]),
    module: m[4] ?? null,
    address: null,
  };
}
