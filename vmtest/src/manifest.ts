/**
 * vmtest/workloads/workloads.json: the workloads and the targets each runs on.
 * Accepted shapes: an array of entries, or `{"workloads": [...]}`; each entry
 * `{"name", "targets": [...], "args"?: [...] | "…"}`.
 */
import { isTarget, type Target } from './targets.ts';

export interface Workload {
  name: string;
  targets: Target[];
  args: string[];
  needs: Need[];
}

/**
 * What a workload needs from the guest besides its target: `blockdev`, a non-DAX
 * block device (brd /dev/ram0, 8 MiB); `slowdev`, a disk whose every request takes
 * seconds (QEMU null-co with SLOWDEV_LATENCY_NS on virtio-blk, /dev/vda);
 * `xfs-reflink`, xfs made with reflink=1 (the harness's xfs always is).
 */
export const NEEDS = ['blockdev', 'slowdev', 'xfs-reflink'] as const;
export type Need = (typeof NEEDS)[number];

/** The guest device each argument placeholder stands for. */
export const PLACEHOLDERS: Readonly<Record<string, string>> = { '{blockdev}': '/dev/ram0', '{slowdev}': '/dev/vda' };

/** The arguments with `{blockdev}` / `{slowdev}` replaced by the guest's devices. */
export function expandArgs(args: readonly string[]): string[] {
  return args.map((a) => a.replace(/\{[a-z]+\}/g, (m) => PLACEHOLDERS[m] ?? m));
}

export function parseManifest(text: string, file: string): Workload[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`, { cause: e });
  }
  const list = Array.isArray(v) ? v : (v as { workloads?: unknown } | null)?.workloads;
  if (!Array.isArray(list)) throw new Error(`${file}: expected an array of workloads or {"workloads": [...]}`);
  return list.map((raw, i) => {
    const e = raw as { name?: unknown; targets?: unknown; args?: unknown; needs?: unknown };
    const at = `${file}: workloads[${i}]`;
    if (typeof e.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(e.name)) throw new Error(`${at}.name: expected a workload name ([A-Za-z0-9_-]+)`);
    if (!Array.isArray(e.targets) || e.targets.length === 0) throw new Error(`${at}.targets: expected a non-empty array`);
    const targets = e.targets.map((t, j) => {
      if (typeof t !== 'string' || !isTarget(t)) throw new Error(`${at}.targets[${j}]: expected one of ext4, xfs, devdax-1G, devdax-2M`);
      return t;
    });
    let args: string[] = [];
    if (typeof e.args === 'string') args = e.args.split(/\s+/).filter((a) => a !== '');
    else if (Array.isArray(e.args)) args = e.args.map(String);
    else if (e.args !== undefined) throw new Error(`${at}.args: expected an array of strings`);
    if (args.some((a) => /[\s'"\\$`]/.test(a))) throw new Error(`${at}.args: arguments may not hold spaces, quotes or shell characters`);
    for (const a of args) {
      for (const m of a.match(/\{[^}]*\}/g) ?? []) {
        if (!(m in PLACEHOLDERS)) throw new Error(`${at}.args: unknown placeholder ${m} (known: ${Object.keys(PLACEHOLDERS).join(', ')})`);
      }
    }
    if (e.needs !== undefined && !Array.isArray(e.needs)) throw new Error(`${at}.needs: expected an array`);
    const needs = ((e.needs as unknown[] | undefined) ?? []).map((n, j) => {
      if (typeof n !== 'string' || !(NEEDS as readonly string[]).includes(n)) throw new Error(`${at}.needs[${j}]: expected one of ${NEEDS.join(', ')}`);
      return n as Need;
    });
    return { name: e.name, targets, args, needs };
  });
}
