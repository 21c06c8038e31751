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
