/**
 * Which kernel's symbol table a profile's function names are checked against
 * (src/models/kernel-symbols.ts): the Debian kernel of the profile's own version when
 * one was read, else one read from the same span (legacy@6.14 → 6.12.107: every span
 * shares its function names, which is what a span is). A span no Debian kernel was
 * read for (6.6–6.9, 6.15–6.16, 6.17–7.0) has no table: its names are unchecked, and
 * `symbolTableFor` says so by returning null.
 */
import { KERNEL_SYMBOLS, type KernelSymbols } from './kernel-symbols.ts';
import { parseKernelVersion, PROFILE_SPANS, type Profile } from './profile.ts';

/** The table for a profile, and why it is that one. */
export interface ProfileSymbols {
  readonly table: KernelSymbols;
  /** "own version" or "same span as …". */
  readonly basis: string;
}

function inSpan(v: readonly [number, number], from: string, to: string | null): boolean {
  const f = parseKernelVersion(from)!;
  const t = to === null ? null : parseKernelVersion(to)!;
  const ge = v[0] > f[0] || (v[0] === f[0] && v[1] >= f[1]);
  const le = t === null || v[0] < t[0] || (v[0] === t[0] && v[1] <= t[1]);
  return ge && le;
}

/** The symbol table a profile is checked against, or null when no kernel of its span was read. */
export function symbolTableFor(profile: Pick<Profile, 'family' | 'version'>): ProfileSymbols | null {
  const v = parseKernelVersion(profile.version)!;
  const own = KERNEL_SYMBOLS.find((k) => {
    const kv = parseKernelVersion(k.kernel)!;
    return kv[0] === v[0] && kv[1] === v[1];
  });
  if (own) return { table: own, basis: 'own version' };
  const span = PROFILE_SPANS.find((s) => s.family === profile.family && inSpan(v, s.from, s.to));
  if (!span) return null;
  const same = KERNEL_SYMBOLS.find((k) => inSpan(parseKernelVersion(k.kernel)!, span.from, span.to));
  return same ? { table: same, basis: `same span (${span.from}–${span.to ?? ''}) as ${profile.version}` } : null;
}
