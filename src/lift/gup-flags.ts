/**
 * The gup_flags bits a grab probe records (`flags=` of try_grab_folio(),
 * try_grab_folio_fast(), try_grab_page(), gup_put_folio()), decoded per kernel
 * version: the FOLL_* values moved when the internal flags went to mm/internal.h.
 *
 * - v6.1 (include/linux/mm.h #defines): FOLL_WRITE 0x01, FOLL_TOUCH 0x02, FOLL_GET 0x04,
 *   FOLL_REMOTE 0x2000, FOLL_LONGTERM 0x10000, FOLL_PIN 0x40000. Recorded in
 *   events/traces/k61-ext4-daxwork.trace.txt: process_vm_readv `flags=0x42002`
 *   (PIN|REMOTE|TOUCH), O_DIRECT `flags=0x7` (GET|TOUCH|WRITE).
 * - v6.6 and later (enum in mm_types.h + mm/internal.h): FOLL_WRITE 1<<0, FOLL_GET 1<<1,
 *   FOLL_LONGTERM 1<<8, FOLL_TOUCH 1<<16, FOLL_TRIED 1<<17, FOLL_REMOTE 1<<18,
 *   FOLL_PIN 1<<19, FOLL_FAST_ONLY 1<<20, FOLL_UNLOCKABLE 1<<21 (read in a 6.6.14
 *   mm/internal.h). Recorded in k612-/k72-ext4-daxwork: `flags=0x2d0000`
 *   (UNLOCKABLE|PIN|REMOTE|TOUCH), `flags=0x290001` (O_DIRECT, a pin), `flags=0x2`
 *   (vmsplice, FOLL_GET), gup_put_folio `flags=0x80000` (FOLL_PIN).
 *
 * Between the two the change is attributed to "mm/gup: move private gup FOLL_ flags to
 * internal.h" (early 2023): the boundary is taken as v6.3, which no recording confirms.
 */
import type { KernelRelease } from '../trace/kernel-release.ts';

/** The FOLL_* values of one layout. */
export interface FollLayout {
  readonly name: 'define-v6.1' | 'enum-v6.3';
  readonly FOLL_WRITE: number;
  readonly FOLL_GET: number;
  readonly FOLL_LONGTERM: number;
  readonly FOLL_PIN: number;
}

/** v6.1 and v6.2: the #define values. */
export const FOLL_V6_1: FollLayout = { name: 'define-v6.1', FOLL_WRITE: 0x01, FOLL_GET: 0x04, FOLL_LONGTERM: 0x10000, FOLL_PIN: 0x40000 };
/** v6.3 onwards: the enum values. */
export const FOLL_V6_3: FollLayout = { name: 'enum-v6.3', FOLL_WRITE: 1 << 0, FOLL_GET: 1 << 1, FOLL_LONGTERM: 1 << 8, FOLL_PIN: 1 << 19 };

/** The layout of a recording kernel (the newest when the release is unknown). */
export function follLayoutFor(release: KernelRelease | null): FollLayout {
  if (release !== null && (release.major < 6 || (release.major === 6 && release.minor < 3))) return FOLL_V6_1;
  return FOLL_V6_3;
}

/** What a grab takes: a FOLL_GET reference or a FOLL_PIN pin (long-term or not), for writing or not. */
export interface GrabKind {
  readonly pin: boolean;
  readonly longterm: boolean;
  /** FOLL_WRITE: the caller will write the pages (an O_DIRECT read into them). */
  readonly write: boolean;
}

/** Decodes a grab's gup_flags; a word with neither FOLL_GET nor FOLL_PIN is read as a get. */
export function decodeGrabFlags(flags: number, layout: FollLayout): GrabKind {
  return { pin: (flags & layout.FOLL_PIN) !== 0, longterm: (flags & layout.FOLL_LONGTERM) !== 0, write: (flags & layout.FOLL_WRITE) !== 0 };
}

/**
 * pfn_t flag bits (include/linux/pfn_t.h, before v6.17): PFN_SG_CHAIN 1<<63,
 * PFN_SG_LAST 1<<62, PFN_DEV 1<<61, PFN_MAP 1<<60, PFN_SPECIAL 1<<59. The pfn is the
 * value without them.
 */
const PFN_FLAGS_MASK = 0x1fn << 59n;

/** The pfn of a pfn_t (`0x3000000000048600` → 0x48600). */
export function pfnOfPfnT(value: bigint): number {
  return Number(value & ~PFN_FLAGS_MASK);
}

/** True when the GUP or fast-path grab function of `symbol` is the fast one in `release`. */
export function isFastGrab(symbol: string, release: KernelRelease | null): boolean {
  // spec §0.9: before v6.10 try_grab_folio(page, refs, flags) is GUP-fast's grab and
  // try_grab_page() the slow one; since "mm: gup: stop abusing try_grab_folio" the slow
  // path is try_grab_folio(folio, …) and the fast one try_grab_folio_fast().
  if (symbol === 'try_grab_folio_fast') return true;
  if (symbol === 'try_grab_page') return false;
  const pre610 = release !== null && (release.major < 6 || (release.major === 6 && release.minor < 10));
  return symbol === 'try_grab_folio' && pre610;
}
