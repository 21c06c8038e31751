import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process.ts';
import { holdersReport, holdersText } from '../../src/holders/report.ts';
import { readDaxFile } from '../../src/io/dax-file.ts';
import type { OpLines } from '../../src/lift/types.ts';
import { modelFor } from '../../src/models/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'holders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dax-refsim holders', () => {
  it('names a GUP get that is never put as a possible leak, with its Op and line', async () => {
    const f = join(dir, 'leak.dax');
    writeFileSync(f, [
      'scenario "a get never put"',
      'process A',
      'pgmap pmem0 fsdax 0x40000 +512M',
      'file F 0..4M -> 0x48050',
      'A: mmap F 0..4M shared',
      'A: fault F line 6',
      'A: get F line 7',
      '',
    ].join('\n'));
    const r = await cli('holders', f, '--model', 'legacy,unified');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const out = r.stdout.split('\n');
    // legacy: idle 1 + the get; unified: the PTE's mapping reference + the get
    expect(out).toContain('folio 0x48050 order 0: _refcount 2, mapcount 0, _pincount -');
    expect(out).toContain('folio 0x48050 order 0: _refcount 2, mapcount 1, _pincount -');
    expect(out).toContain('  idle refs 1 memmap_init (fsdax) of pmem0');
    expect(out).toContain('  map refs 1 dax.fault #2 line 6 mm A addr 0x7f0000000000 pte');
    expect(out.filter((l) => l === 'possible leaks (held at the end of the input, never put):')).toHaveLength(2);
    expect(out.filter((l) => l === '  0x48050 gup refs 1 gup.get #3 line 7 task A slow')).toHaveLength(2);
  });

  it('keeps a mapping\'s origin when its PTE is rewritten in place (mkwrite upgrade, mprotect)', async () => {
    const f = join(dir, 'rewrite.dax');
    writeFileSync(f, [
      'scenario "read fault, write fault, write-protect, write fault, munmap"',
      'process A',
      'pgmap pmem0 fsdax 0x40000 +512M',
      'file F 0..4M -> 0x48050',
      'A: mmap F 0..4M shared',
      'A: fault F line 6',
      'A: fault F write line 7',
      'A: mprotect 0x7f0000000000..0x7f0000001000 read',
      'A: mprotect 0x7f0000000000..0x7f0000001000 write',
      'A: fault F write line 10',
      'A: munmap F line 11',
      '',
    ].join('\n'));
    // insert_page_into_pte_locked() upgrades the present PTE (no folio_get()), mprotect
    // changes its protection: the one reference is still the read fault's, after each Op
    for (const at of ['2', '3', '4', '5', '6']) {
      const r = await cli('holders', f, '--model', 'unified', '--at', at);
      expect(r.status).toBe(0);
      expect(r.stdout.split('\n').filter((l) => l.startsWith('  '))).toEqual([
        '  map refs 1 dax.fault #2 line 6 mm A addr 0x7f0000000000 pte',
        '  = 1 reference',
      ]);
    }
  });

  it('lists the two mappers of the shared page in the 7.2 daxshare recording', async () => {
    const r = await cli('holders', 'events/traces/k72-ext4-daxshare.trace.txt', '--at', '5', '--pfn', '0x48050');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe([
      'events/traces/k72-ext4-daxshare.trace.txt under unified@7.2: after 5 of 19 Ops',
      'folio 0x48050 order 0: _refcount 2, mapcount 2, _pincount -',
      '  map refs 1 dax.fault #3 line 250 mm mm:503 addr 0x7f2deffec000 pte',
      // the child's reference is its read fault's (line 264, rmap_add_ptes ref=3); its
      // write at line 274 is an MKWRITE fault on that PTE, which takes none
      '  map refs 1 dax.fault #4 line 264 mm mm:504 addr 0x7f2deffec000 pte',
      '  = 2 references',
      '',
    ].join('\n'));
  });

  it('names the O_DIRECT reference the 6.1 daxrace hole punch waits on', async () => {
    const r = await cli('holders', 'events/traces/k61-ext4-daxrace.trace.txt', '--at', '7', '--pfn', '0x48052');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe([
      'events/traces/k61-ext4-daxrace.trace.txt under legacy@6.1: after 7 of 8 Ops',
      'folio 0x48052 order 0: _refcount 2, mapcount 0, _pincount -',
      '  idle refs 1 memmap_init (fsdax) of pmem0',
      '  bio refs 1 dio.grab #6 line 165 task mm:368 fast',
      '  = 2 references',
      '  truncate #7 (line 172) waits in ext4_break_layouts on: bio of dio.grab #6 line 165',
      '',
    ].join('\n'));
    // the bio's release (line 175) drops the page to idle without a wakeup: the punch
    // sleeps on until the alarm (RESULT punch_wait=12.01s INTERRUPTED_BY_ALARM)
    const end = await cli('holders', 'events/traces/k61-ext4-daxrace.trace.txt', '--pfn', '0x48052');
    expect(end.stdout.split('\n').slice(1)).toEqual([
      'folio 0x48052 order 0: _refcount 1, mapcount 0, _pincount -',
      '  idle refs 1 memmap_init (fsdax) of pmem0',
      '  = 1 reference',
      '  truncate #7 (line 172) waits in ext4_break_layouts on: only the idle reference (1), never woken',
      '',
    ]);
  });

  it('retires a pin with its unpin and keeps the 1024 bias in the pins', async () => {
    const r = await cli('holders', 'replays/s3-pin-unmap-unpin/scenario.dax', '--model', 'unified', '--at', '3', '--pfn', '0x48050');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('  = 1025 references, 1 pin (1024 references each: order 0 has no _pincount)\n');
    const end = await cli('holders', 'replays/s3-pin-unmap-unpin/scenario.dax', '--model', 'unified');
    expect(end.stdout).not.toContain('possible leaks');
  });

  it('counts the pins of a PMD folio against its _pincount (S5 under unified, the truncate waiting)', async () => {
    const r = await cli('holders', 'replays/s5-pmd-pin-fast-truncate/scenario.dax', '--model', 'unified', '--at', '4', '--pfn', '0x48400');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(1)).toEqual([
      'folio 0x48400 order 9: _refcount 512, mapcount 0, _pincount 512',
      '  pin refs 512 pins 512 gup.pin #3 task A fast',
      '  = 512 references, 512 pins = _pincount',
      '  truncate #4 waits in ext4_break_layouts on: pin of gup.pin #3',
      '',
    ]);
  });

  it('cites each page of a multi-page pin at its own grab\'s line (7.2 daxwork: try_grab_folio at 210 and 211)', async () => {
    const r = await cli('holders', 'events/traces/k72-ext4-daxwork.trace.txt', '--at', '10');
    expect(r.status).toBe(0);
    const pins = r.stdout.split('\n').filter((l) => l.startsWith('  pin '));
    expect(pins).toEqual([
      '  pin refs 1024 pins 1 gup.pin #10 line 210 task mm:390 slow',
      '  pin refs 1024 pins 1 gup.pin #10 line 211 task mm:390 slow',
    ]);
  });

  it('cites the Op\'s line range for a page of a multi-page Op whose own grab the trace does not name', () => {
    const f = join(dir, 'pin2.dax');
    writeFileSync(f, [
      'scenario "a 2-page pin"',
      'process A',
      'pgmap pmem0 fsdax 0x40000 +512M',
      'file F 0..4M -> 0x48050',
      'A: mmap F 0..4M shared',
      'A: fault F line 6',
      'A: fault F+4K line 7',
      'A: pin F 2 pages line 20',
      '',
    ].join('\n'));
    const ops = readDaxFile(f).ops;
    const pin = ops.find((o) => o.type === 'gup.pin')!;
    const holderLines = (opLines: ReadonlyMap<number, OpLines>): string[] =>
      holdersText(f, [holdersReport(modelFor('unified@7.2'), ops, { opLines })]).split('\n').filter((l) => l.startsWith('  pin '));
    // no grab names a page: both pages cite the span, not line 20, which the trace shows for one page at most
    expect(holderLines(new Map([[pin.seq, { pages: [], first: 20, last: 24 }]]))).toEqual([
      '  pin refs 1024 pins 1 gup.pin #4 lines 20-24 task A slow',
      '  pin refs 1024 pins 1 gup.pin #4 lines 20-24 task A slow',
    ]);
    // one grab named: that page cites it, the other the span
    expect(holderLines(new Map([[pin.seq, { pages: [{ pfn: 0x48051, line: 23 }], first: 20, last: 24 }]]))).toEqual([
      '  pin refs 1024 pins 1 gup.pin #4 lines 20-24 task A slow',
      '  pin refs 1024 pins 1 gup.pin #4 line 23 task A slow',
    ]);
  });

  it('refuses --at past the input with exit 2', async () => {
    const r = await cli('holders', 'replays/s2-gup-get-across-truncate', '--at', '99');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--at 99:');
  });
});
