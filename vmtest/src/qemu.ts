/**
 * The QEMU command line of one boot, and the accelerator choice: KVM when it boots a
 * kernel far enough to print its banner, else TCG (on the development machine
 * /dev/kvm exists but KVM fails: `-cpu max` aborts on MSR 0x10a and `-cpu host`
 * stops with a KVM internal error).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { LAYOUT, GUEST_MEMORY, type Target } from './targets.ts';
import { run } from './proc.ts';

export type Accel = 'kvm' | 'tcg';

export interface BootSpec {
  kernel: string;
  initrd: string;
  targets: readonly Target[];
  accel: Accel;
  consoleLog: string;
  dataLog: string;
  /** Kernel command-line words added at the end (VMTEST_APPEND). */
  extra?: readonly string[];
  /** Attach the slow disk (a workload needs `slowdev`). */
  slowdev?: boolean;
}

/**
 * Latency of every request to the slow disk: I/O stays in flight for seconds, long
 * enough for a workload to punch or truncate the page it reads into.
 */
export const SLOWDEV_LATENCY_NS = 3_000_000_000;

/**
 * The kernel command line: the targets' pmem regions, panics that end the boot, THP
 * always. loglevel=5 lets KERN_WARNING (4) through to the console: __warn()'s
 * `WARNING: ...` line and its call trace are pr_warn(), and the matrix confirms the
 * findings that model a WARN against them (console.ts).
 */
export function kernelCmdline(targets: readonly Target[], extra: readonly string[] = []): string {
  const memmap = targets.map((t) => `memmap=${LAYOUT[t].memmap}`);
  // brd.*: one 8 MiB ramdisk for {blockdev} where brd is built in (the module gets them from insmod)
  return ['console=ttyS0', 'loglevel=5', 'panic=-1', 'oops=panic', 'transparent_hugepage=always', ...memmap, 'brd.rd_nr=1', 'brd.rd_size=8192', ...extra].join(' ');
}

export function qemuArgs(b: BootSpec): string[] {
  return [
    '-machine', `pc,accel=${b.accel}`,
    '-cpu', b.accel === 'kvm' ? 'host' : 'max',
    '-smp', '2',
    '-m', GUEST_MEMORY,
    '-kernel', b.kernel,
    '-initrd', b.initrd,
    '-append', kernelCmdline(b.targets, b.extra),
    '-display', 'none', '-monitor', 'none', '-no-reboot', '-net', 'none',
    ...(b.slowdev === true
      ? ['-drive', `if=none,id=slow,driver=null-co,size=64M,latency-ns=${SLOWDEV_LATENCY_NS},read-zeroes=on`, '-device', 'virtio-blk-pci,drive=slow']
      : []),
    '-serial', `file:${b.consoleLog}`,
    '-serial', `file:${b.dataLog}`,
  ];
}

/**
 * VMTEST_ACCEL=kvm|tcg forces one; otherwise KVM is tried with the kernel alone for a
 * few seconds and used only if the banner appears on the console.
 */
export function chooseAccel(env: string | undefined, probeKernel: string, scratch: string): { accel: Accel; why: string } {
  if (env === 'kvm' || env === 'tcg') return { accel: env, why: `VMTEST_ACCEL=${env}` };
  if (!existsSync('/dev/kvm')) return { accel: 'tcg', why: 'no /dev/kvm' };
  rmSync(scratch, { force: true });
  const r = run('timeout', ['-s', 'KILL', '8', 'qemu-system-x86_64', '-machine', 'pc,accel=kvm', '-cpu', 'host', '-m', '256M', '-display', 'none', '-monitor', 'none', '-no-reboot', '-net', 'none', '-serial', `file:${scratch}`, '-kernel', probeKernel, '-append', 'console=ttyS0 panic=-1']);
  let banner = false;
  try {
    banner = readFileSync(scratch, 'utf8').includes('Linux version');
  } catch {
    /* no console */
  }
  rmSync(scratch, { force: true });
  if (banner) return { accel: 'kvm', why: 'KVM boots' };
  const err = r.stderr.trim().split('\n')[0] ?? '';
  return { accel: 'tcg', why: `KVM does not boot here (${err !== '' ? err : `exit ${r.status ?? r.signal}`})` };
}
