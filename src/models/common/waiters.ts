/**
 * wake_up_var() and the layout breakers it wakes. A waiter sleeps in
 * wait_var_event() until its page's refcount reaches the family's idle value; a wake
 * re-checks the condition (___wait_var_event) and resumes the breaker's loop.
 */
import type { ModelCtx } from '../model.ts';
import type { FamilyHooks } from './family.ts';
import { call, refcount } from './kernel.ts';

/** wake_up_var(): wakes the waiters on `head` whose condition now holds. */
export function wakeUpVar(ctx: ModelCtx, hooks: FamilyHooks, head: number, by: string): void {
  call(ctx, 'wake_up_var', head, () => {
    ctx.emit({ type: 'wake', pfn: head, fn: by });
  });
  for (const w of ctx.txn.readWorld().waiters.filter((x) => x.pfn === head).map((x) => ({ ...x }))) {
    if (refcount(ctx, head) !== w.until) continue;
    // A waiter may have been resumed (and removed) by an earlier waiter's resume.
    if (!ctx.txn.readWorld().waiters.some((x) => x.waiter === w.waiter)) continue;
    ctx.emit({ type: 'wait_end', waiter: w.waiter, how: 'woken' });
    hooks.resume(ctx, w);
  }
}
