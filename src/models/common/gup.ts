/**
 * get_user_pages() / pin_user_pages() and their fast variants (mm/gup.c, spec §6.3),
 * shared by both families. GUP-fast walks the page tables locklessly and stops at the
 * first page it cannot take; slow GUP (__gup_longterm_locked() → __get_user_pages())
 * takes the rest after check_vma_flags(). The entry a walk meets decides the shape: a
 * legacy devmap entry (special, no reference) is walked one 4 KiB page at a time with
 * a pgmap lookup each, and GUP-fast refuses it under FOLL_LONGTERM; a refcounted huge
 * entry is grabbed as one folio; a v6.15–v6.16 special huge entry sends GUP-fast to
 * the slow path.
 */
import type { OpOf } from '../../events/op.ts';
import type { ModelCtx } from '../model.ts';
import type { FamilyHooks } from './family.ts';
import { call, folioOf, type FolioInfo } from './kernel.ts';
import { entryPages, ptesMapping, type MmPte } from './mm.ts';
import { EOPNOTSUPP } from './lifecycle.ts';
import { getDevPagemap, grabFast, grabSlow, gupFastFolioAllowed, gupPutFolio, type GupFlags } from './grab.ts';

/** One GUP call. */
export interface GupRequest extends GupFlags {
  readonly mm?: string | undefined;
  readonly pfn: number;
  readonly nr: number;
  /** The fast entry (get/pin_user_pages_fast()): GUP-fast first, slow GUP for the rest. */
  readonly fast: boolean;
}

/** The leaf entry through which GUP reaches pfn, in the request's mm when it names one. */
function leafOf(ctx: ModelCtx, req: GupRequest, pfn: number): MmPte | undefined {
  const all = ptesMapping(ctx.txn.readWorld(), pfn, 1);
  return all.find((m) => m.mm === req.mm) ?? (req.mm === undefined ? all[0] : undefined) ?? all[0];
}

/** A legacy devmap entry: pte/pmd/pud_devmap, special and holding no reference. */
function isDevmap(leaf: MmPte | undefined): boolean {
  return leaf !== undefined && leaf.pte.special && !leaf.pte.refcounted && leaf.pte.pfn >= 0;
}

/** The pages of the request the leaf maps from p on. */
function runInLeaf(req: GupRequest, leaf: MmPte, p: number): number {
  return Math.min(req.pfn + req.nr, leaf.pte.pfn + entryPages(leaf.pte)) - p;
}

/** The top-level GUP entry: the pages taken, or a negative errno. */
export function gup(ctx: ModelCtx, hooks: FamilyHooks, req: GupRequest): number {
  const top = req.pin ? (req.fast ? 'pin_user_pages_fast' : 'pin_user_pages') : req.fast ? 'get_user_pages_fast' : 'get_user_pages';
  return call(ctx, top, req.pfn, () => {
    if (!req.fast) return slowGup(ctx, req, req.pfn);
    // get/pin_user_pages_fast() → gup_fast_fallback() (internal_get_user_pages_fast() before 6.10)
    return call(ctx, ctx.profile.names.fastFallback, req.pfn, () => {
      const done = fastWalk(ctx, hooks, req);
      if (done >= req.nr) return done;
      const rest = slowGup(ctx, req, req.pfn + done);
      return rest < 0 && done === 0 ? rest : done + Math.max(rest, 0);
    });
  }, (r) => r);
}

/** GUP-fast: the pages taken before the first one it cannot take. */
function fastWalk(ctx: ModelCtx, hooks: FamilyHooks, req: GupRequest): number {
  let p = req.pfn;
  while (p < req.pfn + req.nr) {
    const f = folioOf(ctx, p);
    const leaf = leafOf(ctx, req, p);
    if (!leaf) {
      // a stale PTE of an unmapped page (S8): the try-get succeeds at legacy's 1 and is
      // dropped again when the PTE is seen changed; it fails on unified's idle 0
      speculativeGrab(ctx, hooks, p, f, req);
      p++;
      continue;
    }
    const n = fastLeaf(ctx, hooks, req, leaf, p, f);
    if (n === 0) break;
    p += n;
  }
  return p - req.pfn;
}

/** One leaf in GUP-fast: pages taken from p (0: back off to slow GUP). */
function fastLeaf(ctx: ModelCtx, hooks: FamilyHooks, req: GupRequest, leaf: MmPte, p: number, f: FolioInfo): number {
  const huge = leaf.pte.level !== 'pte';
  if (isDevmap(leaf)) {
    // gup_fast_pte_range()/gup_fast_pud_leaf(): a devmap entry with FOLL_LONGTERM bails
    // (k612-devdax-devdaxwork.trace.txt:212-214: no GUP-fast grab before check_vma_flags)
    if (req.longterm) return 0;
    const run = huge ? runInLeaf(req, leaf, p) : 1;
    const walk = (): number => {
      for (let i = 0; i < run; i++) {
        getDevPagemap(ctx, p + i);
        if (!grabFast(ctx, hooks, p + i, folioOf(ctx, p + i), 1, req)) return i;
      }
      return run;
    };
    return huge ? call(ctx, ctx.profile.names.fastDevmapLeaf, p, walk) : walk();
  }
  // v6.15–v6.16 mark refcounted DAX PMD/PUD entries special: GUP-fast backs off (spec §0.12)
  if (huge && leaf.pte.special) return 0;
  const refs = huge ? runInLeaf(req, leaf, p) : 1;
  const take = (): number => {
    if (!grabFast(ctx, hooks, p, f, refs, req)) return 0;
    if (gupFastFolioAllowed(ctx, f, req)) return refs;
    gupPutFolio(ctx, hooks, f, refs, req.pin);
    return 0;
  };
  return huge ? call(ctx, `gup_fast_${leaf.pte.level}_leaf`, p, take) : take();
}

/** GUP-fast that read a stale PTE (S8): grab, then drop through gup_put_folio(). */
function speculativeGrab(ctx: ModelCtx, hooks: FamilyHooks, p: number, f: FolioInfo, req: GupRequest): void {
  if (grabFast(ctx, hooks, p, f, 1, req)) gupPutFolio(ctx, hooks, f, 1, req.pin);
}

/**
 * __gup_longterm_locked() → __get_user_pages() from `from`: check_vma_flags() refuses
 * FOLL_LONGTERM on an FS DAX VMA with -EOPNOTSUPP in both families (S3 5',
 * k612-ext4-daxshare.trace.txt / k72-ext4-daxshare.trace.txt:414 `ret=-95`), then each
 * leaf is followed and grabbed.
 */
function slowGup(ctx: ModelCtx, req: GupRequest, from: number): number {
  return call(ctx, '__gup_longterm_locked', from, () => {
    const fsdax = folioOf(ctx, from).type === 'fsdax';
    const checked = call(ctx, 'check_vma_flags', undefined, () => (req.longterm && fsdax ? EOPNOTSUPP : 0), (r) => r);
    if (checked < 0) return checked;
    let p = from;
    while (p < req.pfn + req.nr) p += slowLeaf(ctx, req, p);
    return p - from;
  }, (r) => r);
}

/** One step of __get_user_pages() at p: the pages it took. */
function slowLeaf(ctx: ModelCtx, req: GupRequest, p: number): number {
  const f = folioOf(ctx, p);
  const leaf = leafOf(ctx, req, p);
  if (!leaf || leaf.pte.level === 'pte') {
    // follow_page_pte(): a devmap PTE is looked up in its pgmap first
    if (isDevmap(leaf)) getDevPagemap(ctx, p);
    grabSlow(ctx, f, 1, req);
    return 1;
  }
  const devmap = isDevmap(leaf);
  if (devmap && leaf.pte.level === 'pmd') {
    // follow_devmap_pmd(): one 4 KiB page per call, no page_mask
    // (k612-ext4-daxwork.trace.txt:205-208: follow_devmap_pmd + a grab per page)
    call(ctx, 'follow_devmap_pmd', p, () => {
      getDevPagemap(ctx, p);
      grabSlow(ctx, f, 1, req);
    });
    return 1;
  }
  if (devmap && ctx.profile.names.slowPudWalk === 'follow_devmap_pud') {
    call(ctx, 'follow_devmap_pud', p, () => {
      getDevPagemap(ctx, p);
      grabSlow(ctx, f, 1, req);
    });
    return 1;
  }
  // follow_huge_pmd()/follow_huge_pud() grab 1 and set ctx->page_mask; __get_user_pages()
  // grabs the other n−1 pages of the leaf in one more call (spec §0.2;
  // k612-devdax-devdaxwork.trace.txt:217-218 and k72-devdax-devdaxwork.trace.txt:239-240,
  // two try_grab_folio refs=1 for a two-page pin)
  const run = runInLeaf(req, leaf, p);
  call(ctx, `follow_huge_${leaf.pte.level}`, p, () => {
    if (devmap) getDevPagemap(ctx, p);
    grabSlow(ctx, f, 1, req);
  });
  if (run > 1) grabSlow(ctx, f, run - 1, req);
  return run;
}

/** The gup.get / gup.pin Ops: get/pin_user_pages[_fast]() with the Op's flags. */
export function gupOp(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'gup.get' | 'gup.pin'>): void {
  const pin = op.type === 'gup.pin';
  gup(ctx, hooks, { mm: op.mm, pfn: op.pfn, nr: op.nr, fast: op.fast, pin, longterm: pin && op.longterm, write: op.write ?? false });
}
