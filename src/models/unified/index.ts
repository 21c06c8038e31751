/**
 * The unified model (v6.15+): rules keyed by Op type (rules.ts) and the kernel
 * paths they call (hooks.ts, dax.ts).
 */
import type { RefcountModel } from '../model.ts';
import type { Profile } from '../profile.ts';
import { compoundHead, folioMapcount } from '../../state/accessors.ts';
import { createModel } from '../common/create-model.ts';
import { FSDAX_WAIT_UNTIL, IDLE_REFCOUNT, rules } from './rules.ts';

/** Creates the unified model of a resolved unified profile. */
export function createUnifiedModel(profile: Profile): RefcountModel {
  return createModel(profile, {
    family: 'unified',
    rules,
    idle: IDLE_REFCOUNT,
    // dax_layout_busy_page_range() (v6.15+): folio_ref_count − folio_mapcount ≠ 0 (spec §0.10).
    isBusy: (src, pfn) => {
      const head = compoundHead(src, pfn);
      return (src.page(head)?.refcount ?? 0) - folioMapcount(src, head) !== FSDAX_WAIT_UNTIL;
    },
  });
}
