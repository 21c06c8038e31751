/**
 * The kernel facts the lifter decodes: gup_flags by version (the values the
 * recordings print), pfn_t, the pgmaps a header implies, and what a probe set sees.
 */
import { describe, expect, it } from 'vitest';
import { FOLL_V6_1, FOLL_V6_3, decodeGrabFlags, follLayoutFor, isFastGrab, pfnOfPfnT } from '../../src/lift/gup-flags.ts';
import { deviceRanges } from '../../src/lift/pgmap.ts';
import { observability } from '../../src/lift/observability.ts';
import { parseKernelRelease } from '../../src/trace/kernel-release.ts';
import { parseTraceText } from '../../src/trace/read-trace.ts';
import { traceText } from './fixtures.ts';

const header = (name: string) => parseTraceText(traceText(name), name).header;

describe('gup_flags', () => {
  it('reads the v6.1 #define layout on Debian 6.1 (`6.1.0-56-amd64`)', () => {
    const l = follLayoutFor(parseKernelRelease('6.1.0-56-amd64'));
    expect(l).toBe(FOLL_V6_1);
    // k61-ext4-daxwork: process_vm_readv flags=0x42002 pins; O_DIRECT flags=0x7 takes FOLL_GET
    expect(decodeGrabFlags(0x42002, l)).toEqual({ pin: true, longterm: false, write: false });
    expect(decodeGrabFlags(0x7, l)).toEqual({ pin: false, longterm: false, write: true });
  });
  it('reads the enum layout on 6.12 and 7.2 (FOLL_PIN 1<<19, FOLL_GET 1<<1, FOLL_LONGTERM 1<<8)', () => {
    for (const k of ['6.12.117+deb13-amd64', '7.2.13']) expect(follLayoutFor(parseKernelRelease(k))).toBe(FOLL_V6_3);
    expect(decodeGrabFlags(0x2d0000, FOLL_V6_3)).toEqual({ pin: true, longterm: false, write: false });
    expect(decodeGrabFlags(0x290001, FOLL_V6_3)).toEqual({ pin: true, longterm: false, write: true });
    expect(decodeGrabFlags(0x2, FOLL_V6_3)).toEqual({ pin: false, longterm: false, write: false });
    expect(decodeGrabFlags(0x80100, FOLL_V6_3)).toEqual({ pin: true, longterm: true, write: false });
  });
  it('names the fast grab by version (spec §0.9)', () => {
    const v61 = parseKernelRelease('6.1.0-56-amd64');
    const v612 = parseKernelRelease('6.12.117');
    expect([isFastGrab('try_grab_folio', v61), isFastGrab('try_grab_page', v61)]).toEqual([true, false]);
    expect([isFastGrab('try_grab_folio', v612), isFastGrab('try_grab_folio_fast', v612)]).toEqual([false, true]);
  });
  it('strips the PFN_DEV|PFN_MAP bits of a pfn_t', () => {
    expect(pfnOfPfnT(0x3000000000048600n)).toBe(0x48600);
    expect(pfnOfPfnT(0x373en)).toBe(0x373e);
  });
});

describe('pgmaps from the header', () => {
  it('registers the `# pmem:` range as an order-0 fsdax pgmap', () => {
    expect(deviceRanges(header('k612-ext4-daxwork.trace.txt'))).toEqual([{ pgmap: 'pmem0', type: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 }]);
  });
  it('registers a device-dax instance (`# dax0.0:`) as a generic pgmap of its alignment (1 GiB: order 18)', () => {
    expect(deviceRanges(header('k72-devdax-devdaxwork.trace.txt'))).toEqual([{ pgmap: 'dax0.0', type: 'generic', pfn: 0x140000, nr: 0x40000, vmemmapShift: 18 }]);
  });
});

describe('observability', () => {
  it('a page_ref build sees every get, pin, unpin and put; a legacy one still no PTE zap', () => {
    const o = observability(header('k612dbg-ext4-daxwork.trace.txt'), { fsDax: true, pageRef: true });
    expect([o.kinds['gup.get'], o.kinds.put, o.kinds.unpin, o.kinds['munmap:pte']]).toEqual(['full', 'full', 'full', 'none']);
  });
  it('a trace without fs_dax events sees no fault', () => {
    const o = observability(header('k72-ext4-daxwork.trace.txt'), { fsDax: false, pageRef: false });
    expect(o.kinds['dax.fault']).toBe('none');
    expect(o.reasons['dax.fault']).toBe('no fs_dax fault events');
  });
  it('a probe that failed to attach sees nothing (k61: 8 probes failed)', () => {
    const h = header('k61-ext4-daxwork.trace.txt');
    expect(h.attachStatus.filter((s) => !s.ok).length).toBe(8);
    const o = observability(h, { fsDax: true, pageRef: false });
    expect(o.kinds['fs.evict']).toBe('none');
  });
});

describe('pgmaps without a `# pmem:` line', () => {
  it('fall back to the pmem range the event filters name (page_ref pfns, or struct page pointers)', () => {
    const text = traceText('k612-ext4-daxwork.trace.txt').replace(/^# pmem:.*\n/m, '');
    expect(deviceRanges(parseTraceText(text, 'no-pmem').header)).toEqual([{ pgmap: 'pmem0', type: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 }]);
  });
});
