/**
 * Retry policy of a boot. A kernel that dies before its first workload starts (a
 * TCG text-patching flake in early boot was seen once by the reference kit) is booted
 * again, at most MAX_BOOT_RETRIES times. The same flake strikes while the recorder
 * registers its kprobes (every kprobe is an int3 patched in with text_poke: the stock
 * 7.3 guest once died with `Oops: int3` in ttwu_do_activate() under
 * smp_text_poke_batch_finish(), before the run's workload had started): a boot that
 * dies in a recorder's set-up is booted again with the runs not yet done, that one
 * first, within the same MAX_BOOT_RETRIES. Once a workload has started, nothing is
 * retried: a crash then is a result, and a mismatch is never retried (it is decided
 * on the host, after the boot).
 */
import type { BootProgress } from './serial.ts';

export const MAX_BOOT_RETRIES = 2;

export type BootVerdict =
  | { kind: 'ok' }
  | { kind: 'retry'; reason: string }
  /** Boot again with the plan from run `from` (`<target> <workload>`) on. */
  | { kind: 'resume'; from: string; reason: string }
  | { kind: 'failed'; reason: string };

/**
 * `attempt` is 1 for the first boot. `exit` is how QEMU ended (`timeout` when the
 * harness killed it).
 */
export function judgeBoot(p: BootProgress, attempt: number, exit: 'exited' | 'timeout'): BootVerdict {
  if (p.done) return { kind: 'ok' };
  const why = p.panic ?? (exit === 'timeout' ? 'boot timed out' : p.booted ? 'guest stopped without finishing' : 'guest stopped before /init ran');
  if (p.started && p.panic !== null && p.diedInSetup !== null) {
    const where = `in the recorder's set-up of ${p.diedInSetup}, before its workload started`;
    if (attempt <= MAX_BOOT_RETRIES) return { kind: 'resume', from: p.diedInSetup, reason: `${why} ${where} (retry ${attempt} of ${MAX_BOOT_RETRIES}, from that run on)` };
    return { kind: 'failed', reason: `${why} ${where}, ${attempt} boots` };
  }
  if (p.started) return { kind: 'failed', reason: `${why} (after the first workload started: not retried)` };
  if (attempt <= MAX_BOOT_RETRIES) return { kind: 'retry', reason: `${why} before the first workload (retry ${attempt} of ${MAX_BOOT_RETRIES})` };
  return { kind: 'failed', reason: `${why} before the first workload, ${attempt} boots` };
}
