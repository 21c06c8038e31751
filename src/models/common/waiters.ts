/**
 * wake_up_var() and the layout breakers it wakes. A waiter sleeps in
 * wait_var_event() until its page's refcount reaches the family's idle value; a wake
 * re-checks the condition (___wait_var_event) and resumes the breaker's loop.
 */
import type { ModelCtx } from '../model.ts';
import type { FamilyHooks } from './family.ts';
import { call, refcount } from './kernel.ts';

/**
 * A break Op that re-enters its task's earlier break (Op.restarts) ends that break's
 * wait first: the task left ___wait_var_event() before running again. Its wait is
 * TASK_INTERRUPTIBLE (ext4_break_layouts(), xfs_break_dax_layouts() via
 * dax_layout_busy_page(); v6.15+ wait_page_idle()): ___wait_var_event() checks the
 * condition (refcount == idle value) before the pending signal, so with the condition
 * false the wait returned -ERESTARTSYS (the break fails and the syscall restarts:
 * 'interrupted'); with it true the wait returned 0 ('woken', also when no
 * wake_up_var() ran and only the signal got the task running: the missed wakeup was
 * reported at the put). 6.1 pageref fsdax-race: ext4-fsdax-race.trace.txt:495 busy,
 * :500 ext4_break_layouts again 16 ms later with the page still at refcount 2 (the
 * first wait interrupted; ext4_break_layouts() loops on a 0 return and never re-enters
 * itself); xfs-fsdax-race.trace.txt:503 and :506 likewise. Without this the model kept
 * both waiters and reported the O_DIRECT completion's missed wakeup twice.
 */
export function endReenteredWait(ctx: ModelCtx, op: { readonly restarts?: number }): void {
  if (op.restarts !== undefined) endWaitOf(ctx, op.restarts);
}

/**
 * Any Op lifted from the task of an earlier layout break (Op.endsWait) ends that break's
 * wait first, whatever the Op is: a task sleeping in ___wait_var_event() (ext4_break_layouts()
 * and xfs_break_dax_layouts() after dax_layout_busy_page(); v6.15+ dax_break_layout() in
 * wait_page_idle(), dax_break_layout_final()) runs nothing else until the wait returns, so
 * an event of that task after the break shows the wait over: woken or interrupted as in
 * endReenteredWait(). events/traces/k612-ext4-daxwork.trace.txt:256 the hole punch of
 * daxwork-415 finds page 0x48058 busy (ref=2) and sleeps; :260 daxwork-416's put wakes it
 * (wake_up_var), :262 it scans again, and :272 the same task unmaps (zap_huge_pmd): by
 * then the wait is over whatever the model made of the wake. Without this a model under
 * which the wait never ends (its idle value not the recording kernel's: `check --model
 * unified` of a legacy trace, where that page rests at 1) kept every such waiter to the
 * end of the trace, two more at each repetition of a repeated trace.
 */
export function endTaskWait(ctx: ModelCtx, op: { readonly endsWait?: number }): void {
  if (op.endsWait !== undefined) endWaitOf(ctx, op.endsWait);
}

/**
 * Ends waiter `seq` if the model still has it: 'woken' when its condition holds (or the
 * sleep was TASK_UNINTERRUPTIBLE, dax_break_layout_final(): only the condition ends it),
 * else 'interrupted' (-ERESTARTSYS).
 */
function endWaitOf(ctx: ModelCtx, seq: number): void {
  const w = ctx.txn.readWorld().waiters.find((x) => x.waiter === seq);
  if (w === undefined) return;
  ctx.emit({ type: 'wait_end', waiter: w.waiter, how: !w.interruptible || refcount(ctx, w.pfn) === w.until ? 'woken' : 'interrupted' });
}

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
