/**
 * Dynamic probe definitions as written to (and read back from) tracefs
 * `kprobe_events` / `dynamic_events` (Documentation/trace/kprobetrace.rst):
 *
 * ```
 * p[:[GRP/][EVENT]] [MOD:]SYM[+offs]|MEMADDR [FETCHARGS]     entry probe
 * r[MAXACTIVE][:[GRP/][EVENT]] [MOD:]SYM[+0] [FETCHARGS]     return probe
 * f[:[GRP/][EVENT]] SYM[%return] [FETCHARGS]                 fprobe
 * t[:[GRP/][EVENT]] TRACEPOINT [FETCHARGS]                   tracepoint probe
 * e[:[GRP/][EVENT]] SYSTEM.EVENT [FETCHARGS]                 event probe
 * FETCHARGS: [NAME=]FETCHARG[:TYPE] …
 * ```
 */
import { parseProbeArgType, type ProbeArgType } from './probe-arg-type.ts';

/** The definition letter: kprobe, kretprobe, fprobe, tracepoint probe or event probe. */
export type ProbeLetter = 'p' | 'r' | 'f' | 't' | 'e';

/** Whether the event fires at function entry or at its return. */
export type ProbeKind = 'entry' | 'return';

/** One fetch argument of a probe: `name=fetch:type`. */
export interface ProbeArg {
  readonly name: string;
  /** The fetch expression (`%di`, `+52(%di)`, `$retval`, `@0xffffea0001210034`). */
  readonly fetch: string;
  readonly type: ProbeArgType;
}

/** A parsed probe definition. */
export interface ProbeDefinition {
  /** The definition as written (trimmed). */
  readonly text: string;
  readonly letter: ProbeLetter;
  readonly kind: ProbeKind;
  /** `r10:` → 10; `null` when not given. */
  readonly maxactive: number | null;
  readonly group: string;
  /** The event name, as it appears in trace lines. */
  readonly name: string;
  /** The probed location as written, without `%return`: `[MOD:]SYM[+offs]`, an address or a path. */
  readonly target: string;
  /** The probed symbol, when the target names one. */
  readonly symbol: string | null;
  readonly module: string | null;
  /** The `+offs` of the target, when given. */
  readonly offset: number | null;
  readonly args: readonly ProbeArg[];
}

/** The result of {@link parseProbeDefinition}: a probe, or a message positioned in the text. */
export type ProbeDefinitionResult =
  | { readonly ok: true; readonly probe: ProbeDefinition }
  | { readonly ok: false; readonly message: string; readonly offset: number };

const HEAD = /^([prfte])(\d*)(?::(?:([^/\s]+)\/)?([^/\s]*))?\s+(\S+)/;
const DEFAULT_GROUP: Readonly<Record<ProbeLetter, string>> = {
  p: 'kprobes', r: 'kprobes', f: 'fprobes', t: 'tracepoints', e: 'eprobes',
};
const ARG_NAME = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/**
 * Parses one probe definition. Fetch arguments without a name get the kernel's default
 * `argN` (1-based); arguments without a type get the kernel's default `x64`.
 */
export function parseProbeDefinition(source: string): ProbeDefinitionResult {
  const text = source.trim();
  const head = HEAD.exec(text);
  if (!head) return { ok: false, message: 'expected p|r|f|t|e[:GRP/EVENT] TARGET', offset: 0 };
  const letter = head[1] as ProbeLetter;
  const rawTarget = head[5] ?? '';
  const isReturnSuffix = rawTarget.endsWith('%return');
  const target = isReturnSuffix ? rawTarget.slice(0, -'%return'.length) : rawTarget;
  const loc = splitTarget(target);
  const args: ProbeArg[] = [];
  const argText = text.slice(head[0].length);
  let offset = head[0].length;
  for (const token of argText.split(/(\s+)/)) {
    const at = offset;
    offset += token.length;
    if (token.trim() === '') continue;
    const arg = parseArg(token, args.length);
    if (typeof arg === 'string') return { ok: false, message: arg, offset: at };
    args.push(arg);
  }
  const maxactive = head[2] === '' || head[2] === undefined ? null : Number(head[2]);
  const name = head[4] !== undefined && head[4] !== '' ? head[4] : defaultName(letter, loc.symbol ?? target, loc.offset);
  return {
    ok: true,
    probe: {
      text,
      letter,
      kind: letter === 'r' || isReturnSuffix ? 'return' : 'entry',
      maxactive,
      group: head[3] ?? DEFAULT_GROUP[letter],
      name,
      target,
      symbol: loc.symbol,
      module: loc.module,
      offset: loc.offset,
      args,
    },
  };
}

/** `name=fetch:type` (name and type optional) → a {@link ProbeArg}, or an error message. */
function parseArg(token: string, index: number): ProbeArg | string {
  const named = ARG_NAME.exec(token);
  const name = named?.[1] ?? `arg${index + 1}`;
  const spec = named?.[2] ?? token;
  const colon = spec.lastIndexOf(':');
  const typeText = colon > 0 ? spec.slice(colon + 1) : '';
  const type = colon > 0 ? parseProbeArgType(typeText) : null;
  if (colon > 0 && type !== null) return { name, fetch: spec.slice(0, colon), type };
  if (colon > 0) return `unknown type '${typeText}' in '${token}'`;
  if (spec === '') return `empty fetch argument '${token}'`;
  return { name, fetch: spec, type: parseProbeArgType('x64') ?? unreachable() };
}

/** Splits `[MOD:]SYM[+offs]` into its parts; addresses and paths have no symbol. */
function splitTarget(target: string): { symbol: string | null; module: string | null; offset: number | null } {
  if (/^0x[0-9a-f]+$/i.test(target) || target.startsWith('/')) return { symbol: null, module: null, offset: null };
  const m = /^(?:([^:]+):)?([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(target);
  if (!m) return { symbol: null, module: null, offset: null };
  return { symbol: m[2] ?? null, module: m[1] ?? null, offset: m[3] === undefined ? null : Number(m[3]) };
}

/** The kernel's event name when a definition gives none (`p_SYM_0`, `r_SYM_0`). */
function defaultName(letter: ProbeLetter, symbol: string, offset: number | null): string {
  const clean = symbol.replace(/[^\w]/g, '_');
  return letter === 'p' || letter === 'r' ? `${letter}_${clean}_${offset ?? 0}` : clean;
}

function unreachable(): never {
  throw new Error('x64 is a valid probe type');
}
