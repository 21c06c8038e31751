/**
 * The legacy model (v6.1–v6.14): rules keyed by Op type (rules.ts) and the kernel
 * paths they call (hooks.ts, dax.ts).
 */
import type { RefcountModel } from '../model.ts';
import type { Profile } from '../profile.ts';
import { compoundHead } from '../../state/accessors.ts';
import { createModel } from '../common/create-model.ts';
import { FSDAX_WAIT_UNTIL, IDLE_REFCOUNT, rules } from './rules.ts';

/** Creates the legacy model of a resolved legacy profile. */
export function createLegacyModel(profile: Profile): RefcountModel {
  return createModel(profile, {
    family: 'legacy',
    rules,
    idle: IDLE_REFCOUNT,
    // dax_layout_busy_page_range() (legacy): page_ref_count(page) > 1.
    isBusy: (src, pfn) => (src.page(compoundHead(src, pfn))?.refcount ?? 0) > FSDAX_WAIT_UNTIL,
  });
}
