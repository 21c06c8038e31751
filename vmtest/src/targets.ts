/**
 * The targets a workload runs on, each on its own legacy pmem region (`memmap=`), so
 * one boot sets up every target and its struct pages sit at the same pfns on every
 * kernel. The guest has 6 GiB: QEMU's pc machine puts 3 GiB below 4 GiB and the rest
 * at [4G,7G), and each region is carved out of that RAM as e820 type 12.
 *
 *   ext4       [1G, 1.5G)     pfn 0x40000-0x60000 (the reference recordings' range)
 *   xfs        [2G, 2.5G)     pfn 0x80000-0xa0000
 *   devdax-1G  [4G, 6G)       1 GiB-aligned: one order-18 folio after the metadata
 *   devdax-2M  [6.5G, 7G)     2 MiB alignment
 *
 * The regions are not adjacent (adjacent e820 ranges of one type merge into one).
 */

export const TARGETS = ['ext4', 'xfs', 'devdax-1G', 'devdax-2M'] as const;
export type Target = (typeof TARGETS)[number];

export interface TargetLayout {
  /** `memmap=` value: size!start. */
  memmap: string;
  /** Physical base of the region, which the guest uses to find it. */
  base: bigint;
}

export const LAYOUT: Readonly<Record<Target, TargetLayout>> = {
  ext4: { memmap: '512M!1G', base: 0x4000_0000n },
  xfs: { memmap: '512M!2G', base: 0x8000_0000n },
  'devdax-1G': { memmap: '2G!4G', base: 0x1_0000_0000n },
  'devdax-2M': { memmap: '512M!6656M', base: 0x1_a000_0000n },
};

/** Guest RAM: enough for the top region at [6.5G, 7G). */
export const GUEST_MEMORY = '6G';

export function isTarget(s: string): s is Target {
  return (TARGETS as readonly string[]).includes(s);
}
