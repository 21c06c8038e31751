/**
 * Invariants both families carry, run after every Op on what it touched.
 */
import { hex } from '../../kernel/constants.ts';
import { compoundHead, folioOrder, pagePgmap } from '../../state/accessors.ts';
import { findRange } from '../../state/sim-state.ts';
import type { Invariant } from '../model.ts';
import { refcount } from './kernel.ts';
import { fileWords } from '../../events/file-words.ts';

/**
 * missed-wakeup: a put brought a page to the value a layout breaker waits for, and
 * nothing woke it: a put path that bypasses the legacy devmap hook, such as
 * folio_put_refs() from __bio_release_pages() on 6.1.y (spec §1.5, S9;
 * events/traces/k61-ext4-daxrace.trace.txt:175, the hole punch then sleeps until
 * SIGALRM). Reported at the put, naming the put's trace line when the Op was lifted, the
 * waiter and the function that skipped wake_up_var().
 */
export const missedWakeup: Invariant = {
  name: 'missed-wakeup',
  severity: 'error',
  kernelFunction: 'wake_up_var',
  check(ctx, events) {
    for (const w of ctx.txn.readWorld().waiters) {
      if (refcount(ctx, w.pfn) !== w.until) continue;
      const changed = events.some((e) => 'pfn' in e && e.pfn === w.pfn && (e.type === 'mod' || e.type === 'mod_and_test' || e.type === 'mod_and_return' || e.type === 'set'));
      const woken = events.some((e) => e.type === 'wake' && e.pfn === w.pfn);
      if (!changed || woken) continue;
      const put = [...events].reverse().find((e) => e.type === 'enter' && (e.fn === 'folio_put_refs' || e.fn === 'folio_put' || e.fn === 'folios_put_refs') && e.pfn === w.pfn);
      const fn = put?.type === 'enter' ? put.fn : 'folio_put_refs';
      const bio = ctx.op.type === 'dio.release' || (ctx.op.type === 'put' && ctx.op.via === 'bio_release');
      const path = bio ? `${fn}() from __bio_release_pages()` : put?.type === 'enter' ? `${put.fn}()` : 'a put path without the devmap hook';
      const what = bio ? 'the O_DIRECT completion' : `the ${ctx.op.type}`;
      // truncate runs to EOF; a waiter over a bounded range is a hole punch
      const waits = w.kind === 'evict' ? 'the eviction' : w.kind === 'truncate' ? (w.end < Number.MAX_SAFE_INTEGER ? 'the hole punch' : 'the truncate') : 'the layout break';
      ctx.report({
        code: 'missed-wakeup',
        severity: 'error',
        seq: ctx.op.seq,
        pfn: w.pfn,
        function: fn,
        message: `${what} brings page ${hex(w.pfn)} to refcount ${w.until}, the value ${waits} of ${fileWords(w.file)} (Op #${w.waiter}) waits for in ${w.fn}, but ${path} does not call wake_up_var(), so that waiter is not woken`,
      });
    }
  },
};

/**
 * folio-pgmap: every page of a new compound folio resolves to its head and to one
 * pgmap, and the folio stays inside one pgmap range, even across 128 MiB sections
 * (spec §2.2, David Hildenbrand's review of "mm: Allow compound zone device pages").
 */
export const folioPgmap: Invariant = {
  name: 'folio-pgmap',
  severity: 'error',
  kernelFunction: 'prep_compound_page',
  check(ctx, events) {
    for (const e of events) {
      if (e.type !== 'prep_compound') continue;
      const head = e.pfn;
      const range = findRange(ctx.txn.ranges, head);
      const n = 2 ** folioOrder(ctx.txn, head);
      if (!range || head + n > range.pfn + range.nr) {
        ctx.report({ code: 'folio-crosses-pgmap', severity: 'error', seq: ctx.op.seq, pfn: head, function: 'prep_compound_page', message: `folio ${hex(head)} (${n} pages) crosses the end of its pgmap range` });
        continue;
      }
      const pgmap = pagePgmap(ctx.txn, head);
      for (let i = 1; i < n; i++) {
        if (compoundHead(ctx.txn, head + i) !== head || pagePgmap(ctx.txn, head + i) !== pgmap) {
          ctx.report({ code: 'folio-pgmap-mismatch', severity: 'error', seq: ctx.op.seq, pfn: head + i, function: 'page_pgmap', message: `page ${hex(head + i)} does not resolve to folio ${hex(head)} and pgmap ${pgmap}` });
          break;
        }
      }
    }
  },
};
