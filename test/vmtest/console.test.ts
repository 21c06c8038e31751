import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseFunction, CONSOLE_SITES, judgeConsole, messagesOutsideRuns, NO_CONSOLE_LINE, parseBootConsole, traceTimes } from '../../vmtest/src/console.ts';
import { cellFromCheck, formatMatrix } from '../../vmtest/src/matrix.ts';

// The stock 6.1.0-57 boot of the vmtest matrix (loglevel=4 then), console.log lines
// 903-1002 shortened to the VMTEST lines, a few PHASE lines and the kernel's own: the
// three bad puds are mprotect(PROT_READ), mprotect(PROT_READ|PROT_WRITE) (6.1's
// change_pud_range() takes a device PUD for a bad table too) and mremap()'s get_old_pud().
const DEVDAX_61 = [
  'VMTEST: run-end xfs fsdax-reflink rc=0 trace_lines=541 [416.43s]',
  'VMTEST: target devdax-1G: /dev/dax2.0 on region2 (0x100000-0x180000) align=1073741824 resource=0x140000000 size=1073741824 [417.70s]',
  'VMTEST: run-start devdax-1G devdax snap=140000,140001,144000,17c000 [417.72s]',
  'PHASE fork_child_exit',
  '[  428.533929] mm/pgtable-generic.c:39: bad pud 00000000cba4690c(84000001400008e7)',
  '[  428.535287] mm/pgtable-generic.c:39: bad pud 00000000cba4690c(84000001400000a5)',
  '[  428.536613] mm/pgtable-generic.c:39: bad pud 00000000cba4690c(84000001400008e7)',
  'PHASE fork_child_gone begin pid=3675',
  'dax-refsim-record: [428.58] writing the trace',
  'VMTEST: run-end devdax-1G devdax rc=0 trace_lines=532 [436.74s]',
].join('\n');
// devdax-1G-devdax.trace.txt of that boot: the two mprotect() phases and the mremap() (trace lines 445, 457, 503)
const DEVDAX_61_TRACE = Object.assign(new Array<string>(503).fill(''), {
  444: '          devdax-3672    (   3672) [000] .....   428.533833: tracing_mark_write: PHASE mprotect_readonly begin addr=0x7f5b00000000 len=1073741824',
  456: '          devdax-3672    (   3672) [000] .....   428.535240: tracing_mark_write: PHASE mprotect_writable begin addr=0x7f5b00000000 len=1073741824',
  502: '          devdax-3672    (   3672) [000] .....   428.536613: mremap: (__x64_sys_mremap+0x0/0x30) addr=0x7f5b00000000 old_len=1073741824 new_len=1073741824 flags=0x3 new_addr=0x7f5a80000000',
}).join('\n');
const PUD = { code: 'pud-clear-bad', severity: 'warn', seq: 34, pfn: '0x140000', function: 'pud_clear_bad', message: 'mremap() of mm:3672 at 0x7f5b00000000: …', line: 503 };
const doc = (findings: object[]) => JSON.stringify({ kernel: '6.1.0-57-amd64', profile: 'legacy@6.1', observations: 477, matched: 477, unknown: 0, untraced: [], mismatches: [], findings });

describe('the kernel messages of a console', () => {
  it('reads each bad pud with its file, line, printk time and pfn, and each run window with its preamble', () => {
    const boot = parseBootConsole(DEVDAX_61);
    expect(boot.windows).toEqual([{ target: 'devdax-1G', workload: 'devdax', preamble: 1, start: 3, end: 10 }]);
    expect(boot.messages.map((m) => [m.line, m.kind, m.file, m.srcLine, m.fn, m.pfn, m.ts])).toEqual([
      [5, 'bad-pud', 'mm/pgtable-generic.c', 39, null, 0x140000, 428.533929],
      [6, 'bad-pud', 'mm/pgtable-generic.c', 39, null, 0x140000, 428.535287],
      [7, 'bad-pud', 'mm/pgtable-generic.c', 39, null, 0x140000, 428.536613],
    ]);
    expect(boot.messages[0]!.text).toBe('mm/pgtable-generic.c:39: bad pud 00000000cba4690c(84000001400008e7)');
  });

  it('drops gcc clone suffixes from a WARN\'s function', () => {
    expect(baseFunction('dax_disassociate_entry.constprop.0')).toBe('dax_disassociate_entry');
    expect(baseFunction('pagemap_range.isra.0')).toBe('pagemap_range');
    expect(baseFunction('dax_insert_entry')).toBe('dax_insert_entry');
  });
});

describe('bad pud lines and pud-clear-bad findings', () => {
  it('6.1: the mremap finding takes the bad pud printed at its trace time; the two mprotect ones are the kernel warning where the model reports nothing', () => {
    const boot = parseBootConsole(DEVDAX_61);
    const v = judgeConsole([{ code: 'pud-clear-bad', line: 503, pfn: '0x140000' }], boot, 'devdax-1G', 'devdax', traceTimes(DEVDAX_61_TRACE));
    expect(v.confirmed).toEqual([{ file: 'console.log', line: 7, text: 'mm/pgtable-generic.c:39: bad pud 00000000cba4690c(84000001400008e7)', codes: ['pud-clear-bad'], earlier: false }]);
    expect(v.problems).toEqual([
      'the kernel warned; the model reports nothing: console.log:5 "mm/pgtable-generic.c:39: bad pud 00000000cba4690c(84000001400008e7)" (the run\'s 1 pud-clear-bad finding pairs with another line: the kernel printed it more often)',
      'the kernel warned; the model reports nothing: console.log:6 "mm/pgtable-generic.c:39: bad pud 00000000cba4690c(84000001400000a5)" (the run\'s 1 pud-clear-bad finding pairs with another line: the kernel printed it more often)',
    ]);
    const c = cellFromCheck({ kernel: '6.1', target: 'devdax-1G', workload: 'devdax', trace: 't', rc: '0' }, 0, doc([PUD]), '', false, [], boot, DEVDAX_61_TRACE);
    expect(c.status).toBe('finding');
  });

  it('one finding per line, of the line\'s pfn: three findings pass, a finding of another pfn does not', () => {
    const boot = parseBootConsole(DEVDAX_61);
    const times = traceTimes(DEVDAX_61_TRACE);
    const f = (line: number, pfn = '0x140000') => ({ code: 'pud-clear-bad', line, pfn });
    const all = judgeConsole([f(445), f(457), f(503)], boot, 'devdax-1G', 'devdax', times);
    expect(all.problems).toEqual([]);
    expect(all.confirmed.map((l) => l.line)).toEqual([5, 6, 7]);
    expect(judgeConsole([f(503, '0x180000')], boot, 'devdax-1G', 'devdax', times).problems[0]).toBe('pud-clear-bad at line 503 pfn 0x180000: the console shows no "bad pud" line of pud_clear_bad() for pfn 0x180000 in the run');
  });

  it('6.12 (change_pud_range() handles the device PUD): the one bad pud is the mremap finding\'s, and the cell passes', () => {
    const text = [
      'VMTEST: run-start devdax-1G devdax snap=140000,140001,144000,17c000 [430.44s]',
      '[  452.540451] mm/pgtable-generic.c:42: bad pud 0000000090b9a554(82000001400008e7)',
      'VMTEST: run-end devdax-1G devdax rc=0 trace_lines=552 [462.94s]',
    ].join('\n');
    const c = cellFromCheck({ kernel: '6.12', target: 'devdax-1G', workload: 'devdax', trace: 'vmtest/out/stock/6.12/devdax-1G-devdax.trace.txt', rc: '0' }, 0, doc([{ ...PUD, line: 523 }]), '', false, [], parseBootConsole(text));
    expect(c).toMatchObject({ status: 'ok', note: null, console: [{ file: 'console.log', line: 2, text: 'mm/pgtable-generic.c:42: bad pud 0000000090b9a554(82000001400008e7)', codes: ['pud-clear-bad'], earlier: false }] });
    expect(formatMatrix([c]).split('\n').slice(-4)).toEqual([
      '',
      'console lines that confirm findings (kernel messages the findings model):',
      '  6.12 console.log:2 mm/pgtable-generic.c:42: bad pud 0000000090b9a554(82000001400008e7) <- devdax-1G devdax: pud-clear-bad',
      '',
    ]);
  });
});

// The stock 6.1.0-57 boot of `VMTEST_KERNELS=6.1 VMTEST_TARGETS=xfs
// VMTEST_WORKLOADS=fsdax-reflink npm run vmtest` at loglevel=5, console.log lines 9-100
// shortened (CRLF as written): both WARN_ON_ONCEs fire in the workload's first,
// unrecorded pass, before run-start; the recorded run cannot print them again.
const REFLINK_61 = [
  'VMTEST: booted 6.1.0-57-amd64 [3.82s]',
  '[    4.071360] nd_pmem namespace0.0: unable to guarantee persistence of writes',
  'VMTEST: modules loaded [5.65s]',
  '[    6.223275] XFS (pmem0): DAX enabled. Warning: EXPERIMENTAL, use at your own risk',
  'VMTEST: target xfs: /dev/pmem0 on region0 (0x80000-0xa0000) mounted dax=always: /dev/pmem0 /mnt/xfs xfs rw,relatime,attr2,dax=always,inode64,logbufs=8,logbsize=32k,sunit=4096,swidth=4096,noquota 0 0 [6.47s]',
  '[    6.620853] ------------[ cut here ]------------',
  '[    6.622200] WARNING: CPU: 0 PID: 186 at fs/dax.c:380 dax_insert_entry+0x227/0x320',
  '[    6.622200] CPU: 0 PID: 186 Comm: fsdax-reflink Not tainted 6.1.0-57-amd64 #1  Debian 6.1.192-3',
  '[    6.622200] RIP: 0010:dax_insert_entry+0x227/0x320',
  '[    6.622200] Call Trace:',
  '[    6.622200]  dax_fault_iter+0x267/0x650',
  '[    6.622200] ---[ end trace 0000000000000000 ]---',
  '[    6.654371] ------------[ cut here ]------------',
  '[    6.654616] WARNING: CPU: 0 PID: 186 at fs/dax.c:404 dax_disassociate_entry+0x49/0xb0',
  '[    6.655965] RIP: 0010:dax_disassociate_entry+0x49/0xb0',
  '[    6.658179]  dax_insert_entry+0xb6/0x320',
  '[    6.658179] ---[ end trace 0000000000000000 ]---',
  'VMTEST: run-start xfs fsdax-reflink snap=80400,80401,80600 [7.03s]',
  'PHASE ficlone begin dst=rl-clone.dat src=rl-src.dat',
  'PHASE done steps_ok=22 refused=0 skipped=1',
  'VMTEST: run-end xfs fsdax-reflink rc=0 trace_lines=538 [21.45s]',
  'VMTEST: done [21.77s]',
].map((l) => `${l}\r`).join('\n');
// that run's check: 9 associate-mapped-page, 4 disassociate-foreign-page (trace lines)
const REFLINK_FINDINGS = [
  ...[[265, '0x80400'], [270, '0x80401'], [275, '0x80402'], [280, '0x80403'], [289, '0x80400'], [294, '0x80401'], [299, '0x80402'], [304, '0x80403'], [322, '0x80600']].map(([line, pfn]) => ({ code: 'associate-mapped-page', severity: 'warn', seq: 14, pfn, function: 'dax_associate_entry', message: '…', line })),
  ...[[341, '0x80400'], [416, '0x80402'], [470, '0x80401'], [470, '0x80403']].map(([line, pfn]) => ({ code: 'disassociate-foreign-page', severity: 'warn', seq: 25, pfn, function: 'dax_disassociate_entry', message: '…', line })),
];
const reflink = { kernel: '6.1', target: 'xfs', workload: 'fsdax-reflink', trace: 'vmtest/out/stock/6.1/xfs-fsdax-reflink.trace.txt', rc: '0' };
const ASSOC_WARN = 'WARNING: CPU: 0 PID: 186 at fs/dax.c:380 dax_insert_entry+0x227/0x320';
const FOREIGN_WARN = 'WARNING: CPU: 0 PID: 186 at fs/dax.c:404 dax_disassociate_entry+0x49/0xb0';

describe('WARN splats and the findings that model them', () => {
  it('reads a WARNING with its file, line and function (inlined dax_associate_entry shows as dax_insert_entry), not the RIP or call trace lines', () => {
    const boot = parseBootConsole(REFLINK_61);
    expect(boot.messages.map((m) => [m.line, m.kind, m.file, m.srcLine, m.fn, m.text])).toEqual([
      [7, 'warning', 'fs/dax.c', 380, 'dax_insert_entry', ASSOC_WARN],
      [14, 'warning', 'fs/dax.c', 404, 'dax_disassociate_entry', FOREIGN_WARN],
    ]);
    expect(boot.windows).toEqual([{ target: 'xfs', workload: 'fsdax-reflink', preamble: 3, start: 18, end: 21 }]);
  });

  it('7.x\'s WARNING format (kernel/panic.c __warn() of 7.3: file:line first, CPU# after) reads the same', () => {
    // constructed from the 7.3 format string, not recorded: no 7.x run has warned yet
    const boot = parseBootConsole('[   12.5] WARNING: fs/dax.c:498 at dax_insert_entry+0x1b/0x3c0, CPU#0: fsdax-reflink/190');
    expect(boot.messages.map((m) => [m.file, m.srcLine, m.fn])).toEqual([['fs/dax.c', 498, 'dax_insert_entry']]);
  });

  it('WARN_ON_ONCE already fired earlier in the boot (the first pass): the 13 findings are confirmed, the cell passes, the matrix lists both lines', () => {
    const c = cellFromCheck(reflink, 0, doc(REFLINK_FINDINGS), '', false, [], parseBootConsole(REFLINK_61));
    expect(c).toMatchObject({ status: 'ok', note: null });
    expect(c.console).toEqual([
      { file: 'console.log', line: 7, text: ASSOC_WARN, codes: ['associate-mapped-page'], earlier: true },
      { file: 'console.log', line: 14, text: FOREIGN_WARN, codes: ['disassociate-foreign-page'], earlier: true },
    ]);
    expect(formatMatrix([c]).split('\n').slice(-4)).toEqual([
      'console lines that confirm findings (kernel messages the findings model):',
      `  6.1 console.log:7 ${ASSOC_WARN} <- xfs fsdax-reflink: associate-mapped-page (printed before the run: WARN_ON_ONCE fired earlier in the boot)`,
      `  6.1 console.log:14 ${FOREIGN_WARN} <- xfs fsdax-reflink: disassociate-foreign-page (printed before the run: WARN_ON_ONCE fired earlier in the boot)`,
      '',
    ]);
  });

  it('a WARNING inside the run confirms its finding there, named by the console of the boot the run ran in', () => {
    const text = ['VMTEST: run-start xfs fsdax-reflink snap=none [7.03s]', `[    8.622200] ${ASSOC_WARN}`, 'VMTEST: run-end xfs fsdax-reflink rc=0 trace_lines=538 [21.45s]'].join('\n');
    const v = judgeConsole([{ code: 'associate-mapped-page', line: 265, pfn: '0x80400' }], parseBootConsole(text, 'console.boot2.log'), 'xfs', 'fsdax-reflink');
    expect(v).toEqual({ problems: [], confirmed: [{ file: 'console.boot2.log', line: 2, text: ASSOC_WARN, codes: ['associate-mapped-page'], earlier: false }] });
  });

  it('unconfirmed: at loglevel=4 (the 6.1 matrix run before this change) the console has no WARNING, and the findings fail the cell, one sentence per code', () => {
    const text = [
      'VMTEST: run-end xfs fsdax-vma rc=0 trace_lines=775 [393.99s]',
      'VMTEST: run-start xfs fsdax-reflink snap=80400,80401,80600 [396.66s]',
      'PHASE setup begin target=/mnt/xfs',
      'VMTEST: run-end xfs fsdax-reflink rc=0 trace_lines=541 [416.43s]',
    ].join('\n');
    const c = cellFromCheck(reflink, 0, doc(REFLINK_FINDINGS), '', false, [], parseBootConsole(text));
    expect(c.status).toBe('finding');
    expect(c.note).toBe([
      'associate-mapped-page at lines 265, 270, 275, 280, 289, 294, 299, 304, 322 (9 findings): the console shows no WARN_ON_ONCE(page->mapping) of dax_associate_entry() (a WARNING at fs/dax.c in dax_associate_entry/dax_insert_entry) in the run or earlier in the boot',
      'disassociate-foreign-page at lines 341, 416, 470, 470 (4 findings): the console shows no WARN_ON_ONCE(page->mapping && page->mapping != mapping) of dax_disassociate_entry() (a WARNING at fs/dax.c in dax_disassociate_entry/grab_mapping_entry/__dax_invalidate_entry/dax_insert_entry/dax_delete_mapping_range) in the run or earlier in the boot',
    ].join('; '));
    expect(c.console).toEqual([]);
  });

  it('unexplained: a WARNING in the run or its first pass with no finding of that function fails the cell, the line quoted', () => {
    const none = cellFromCheck(reflink, 0, doc([]), '', false, [], parseBootConsole(REFLINK_61));
    expect(none.status).toBe('finding');
    expect(none.note).toBe([
      `the kernel warned before the run (its first pass or set-up); the model reports nothing: console.log:7 "${ASSOC_WARN}"`,
      `the kernel warned before the run (its first pass or set-up); the model reports nothing: console.log:14 "${FOREIGN_WARN}"`,
    ].join('; '));
    // only the association predicted: the disassociation's WARNING is unexplained
    const half = judgeConsole([{ code: 'associate-mapped-page', line: 265, pfn: '0x80400' }], parseBootConsole(REFLINK_61), 'xfs', 'fsdax-reflink');
    expect(half.problems).toEqual([`the kernel warned before the run (its first pass or set-up); the model reports nothing: console.log:14 "${FOREIGN_WARN}"`]);
    const inRun = ['VMTEST: run-start xfs fsdax-reflink snap=none [7.03s]', `[    8.654616] ${FOREIGN_WARN}`, 'VMTEST: run-end xfs fsdax-reflink rc=0 trace_lines=538 [21.45s]'].join('\n');
    expect(judgeConsole([], parseBootConsole(inRun), 'xfs', 'fsdax-reflink').problems).toEqual([`the kernel warned; the model reports nothing: console.log:2 "${FOREIGN_WARN}"`]);
  });

  it('an error finding its console line confirms passes; without the console it fails as before', () => {
    // free_zone_device_page()'s WARN_ON_ONCE in 6.1's format; constructed, no run has hit it
    const text = ['VMTEST: run-start devdax-2M devdax snap=none [1.0s]', '[    2.0] WARNING: CPU: 1 PID: 200 at mm/memremap.c:491 free_zone_device_page+0x9a/0xb0', 'VMTEST: run-end devdax-2M devdax rc=0 trace_lines=5 [3.0s]'].join('\n');
    const f = { code: 'free-without-page-free', severity: 'error', seq: 3, pfn: '0x1a0a00', function: 'free_zone_device_page', message: '…', line: 40 };
    const b = { kernel: '6.1', target: 'devdax-2M', workload: 'devdax', trace: 't', rc: '0' };
    expect(cellFromCheck(b, 1, doc([f]), '', false, [], parseBootConsole(text))).toMatchObject({ status: 'ok', note: null });
    expect(cellFromCheck(b, 1, doc([f]), '', false, [])).toMatchObject({ status: 'finding', note: 'free-without-page-free at line 40: no PHASE marker states that the kernel did this' });
  });
});

describe('every finding code is classified', () => {
  it('each code src/ reports has a console site or is listed as having none, and no code is both', () => {
    const codes = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const text = readFileSync(p, 'utf8');
          // warn(ctx, 'code', 'warn', …), finding(e, 'code', 'error', …), { code: 'code', severity: … }
          for (const m of text.matchAll(/(?:warn\(ctx, |finding\(e, )'([a-z][a-z0-9-]+)', '(?:warn|error)'/g)) codes.add(m[1]!);
          for (const m of text.matchAll(/code: '([a-z][a-z0-9-]+)',\s+severity:/g)) codes.add(m[1]!);
        }
      }
    };
    walk(new URL('../../src', import.meta.url).pathname);
    expect(codes.size).toBe(37);
    for (const code of codes) expect({ code, classified: CONSOLE_SITES[code] !== undefined || NO_CONSOLE_LINE.has(code) }).toEqual({ code, classified: true });
    for (const code of Object.keys(CONSOLE_SITES)) expect(NO_CONSOLE_LINE.has(code)).toBe(false);
    expect([...codes].filter((c) => CONSOLE_SITES[c] !== undefined).sort()).toEqual(Object.keys(CONSOLE_SITES).sort());
  });

  it('messages before the first run (boot, module loading) belong to no run', () => {
    const text = ['VMTEST: booted 6.1.0-57-amd64 [3.92s]', '[    9.1] mm/pgtable-generic.c:51: bad pmd 00000000deadbeef(8000000140000867)', 'VMTEST: modules loaded [16.08s]', 'VMTEST: run-start ext4 fsdax-faults snap=48400 [16.97s]', 'VMTEST: run-end ext4 fsdax-faults rc=0 trace_lines=540 [29.22s]'].join('\n');
    const boot = parseBootConsole(text);
    expect(messagesOutsideRuns(boot).map((m) => [m.line, m.kind, m.pfn])).toEqual([[2, 'bad-pmd', 0x140000]]);
    expect(judgeConsole([], boot, 'ext4', 'fsdax-faults').problems).toEqual([]);
  });
});
