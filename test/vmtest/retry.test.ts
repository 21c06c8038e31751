import { describe, expect, it } from 'vitest';
import { MAX_BOOT_RETRIES, judgeBoot } from '../../vmtest/src/retry.ts';
import { parseConsole, parseDataLog } from '../../vmtest/src/serial.ts';

const EARLY_PANIC = 'Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\nKernel panic - not syncing: Fatal exception in interrupt\n';

describe('judgeBoot', () => {
  it('boots again, at most twice, when the kernel dies before the first workload starts', () => {
    const p = parseConsole(EARLY_PANIC);
    expect(MAX_BOOT_RETRIES).toBe(2);
    expect(judgeBoot(p, 1, 'exited')).toEqual({ kind: 'retry', reason: 'Oops: int3: 0000 [#1] PREEMPT SMP NOPTI before the first workload (retry 1 of 2)' });
    expect(judgeBoot(p, 2, 'exited').kind).toBe('retry');
    expect(judgeBoot(p, 3, 'exited')).toEqual({ kind: 'failed', reason: 'Oops: int3: 0000 [#1] PREEMPT SMP NOPTI before the first workload, 3 boots' });
  });

  it('never retries once a workload has started', () => {
    const p = parseConsole('VMTEST: booted 6.1.0-57-amd64 [3.1s]\nVMTEST: run-start ext4 w [9.0s]\nKernel panic - not syncing: Fatal exception\n');
    expect(judgeBoot(p, 1, 'exited')).toEqual({ kind: 'failed', reason: 'Kernel panic - not syncing: Fatal exception (after the first workload started: not retried)' });
  });

  // the stock 7.3 guest of a vmtest run (console.log 695-705): the recorder of the tenth
  // run was registering its kprobes (text_poke) when the kernel took a stale int3
  const SETUP_OOPS = [
    'VMTEST: booted 7.3.4+deb13-amd64 [9.1s]',
    'VMTEST: run-start xfs fsdax-race snap=80208 [387.27s]',
    'dax-refsim-record: [413.31] running the command',
    'VMTEST: run-end xfs fsdax-race rc=0 trace_lines=857 [440.68s]',
    'VMTEST: run-start xfs fsdax-vma snap=80400,80401,80600,80208,80209,80c00,80c01,80e00 [445.66s]',
    'dax-refsim-record: [447.50] reading the kernel release and config',
    'dax-refsim-record: [465.73] reading vmemmap_base',
    '[  472.457750] Oops: int3: 0000 [#1] SMP NOPTI',
    '[  472.460347] RIP: 0010:ttwu_do_activate+0x93/0x1b0',
  ].join('\n') + '\n';

  it('a kernel that dies in a recorder\'s set-up (kprobes being patched in) is booted again from that run, within the same two retries', () => {
    const p = parseConsole(SETUP_OOPS);
    expect(p.diedInSetup).toBe('xfs fsdax-vma');
    expect(judgeBoot(p, 1, 'exited')).toEqual({ kind: 'resume', from: 'xfs fsdax-vma', reason: 'Oops: int3: 0000 [#1] SMP NOPTI in the recorder\'s set-up of xfs fsdax-vma, before its workload started (retry 1 of 2, from that run on)' });
    expect(judgeBoot(p, 2, 'exited').kind).toBe('resume');
    expect(judgeBoot(p, 3, 'exited')).toEqual({ kind: 'failed', reason: 'Oops: int3: 0000 [#1] SMP NOPTI in the recorder\'s set-up of xfs fsdax-vma, before its workload started, 3 boots' });
  });

  it('a crash once the recorder has started the workload is a result: not retried', () => {
    const p = parseConsole(SETUP_OOPS.replace('[465.73] reading vmemmap_base', '[470.00] running the command'));
    expect(p.diedInSetup).toBeNull();
    expect(judgeBoot(p, 1, 'exited')).toEqual({ kind: 'failed', reason: 'Oops: int3: 0000 [#1] SMP NOPTI (after the first workload started: not retried)' });
  });

  it('a crash after a run ended and before the next run-start is not a set-up crash', () => {
    const p = parseConsole(SETUP_OOPS.split('\n').slice(0, 4).join('\n') + '\nBUG: unable to handle page fault\n');
    expect(p.diedInSetup).toBeNull();
    expect(judgeBoot(p, 1, 'exited').kind).toBe('failed');
  });

  it('a boot that finished is ok, whatever its traces hold (a mismatch is never a reason to boot again)', () => {
    const p = parseConsole('VMTEST: booted x\nVMTEST: run-start ext4 w\nVMTEST: run-end ext4 w rc=1\nVMTEST: done\n');
    expect(judgeBoot(p, 1, 'exited')).toEqual({ kind: 'ok' });
  });

  it('a hang before the first workload is retried and says it timed out', () => {
    expect(judgeBoot(parseConsole('VMTEST: booted x\n'), 1, 'timeout')).toEqual({ kind: 'retry', reason: 'boot timed out before the first workload (retry 1 of 2)' });
    expect(judgeBoot(parseConsole(''), 1, 'exited').kind).toBe('retry');
  });
});

describe('parseConsole / parseDataLog', () => {
  it('measures each run from its run-start to its run-end line', () => {
    const p = parseConsole('VMTEST: run-start ext4 fsdax-faults [16.93s]\nx\nVMTEST: run-end ext4 fsdax-faults rc=0 trace_lines=576 [93.44s]\nVMTEST: run-start xfs w [100s]\n');
    expect([...p.seconds]).toEqual([['ext4 fsdax-faults', 76.5]]);
  });

  it('collects target failures', () => {
    expect(parseConsole('VMTEST: target-failed xfs: mkfs: bad [2.0s]\r\n').targetFailures).toEqual(['target-failed xfs: mkfs: bad [2.0s]']);
  });

  it('splits the data port into runs, keeping each trace byte for byte, and marks a cut-short run', () => {
    const text = 'noise\r\nVMTEST-TRACE-BEGIN target=ext4 workload=a rc=0\r\nKTRACE-BEGIN kernel=7.3\r\n  x-1 [000] ....\r\nKTRACE-END\r\nVMTEST-TRACE-END\r\n' +
      'VMTEST-TRACE-BEGIN target=xfs workload=a rc=setup-failed\nVMTEST-TRACE-END\nVMTEST-TRACE-BEGIN target=devdax-1G workload=b rc=0\nKTRACE-BEGIN kernel=7.3\n';
    const d = parseDataLog(text);
    expect(d.done).toBe(false);
    expect(d.runs).toEqual([
      { target: 'ext4', workload: 'a', rc: '0', trace: 'KTRACE-BEGIN kernel=7.3\n  x-1 [000] ....\nKTRACE-END\n', complete: true },
      { target: 'xfs', workload: 'a', rc: 'setup-failed', trace: '', complete: true },
      { target: 'devdax-1G', workload: 'b', rc: '0', trace: 'KTRACE-BEGIN kernel=7.3\n', complete: false },
    ]);
    expect(parseDataLog('VMTEST-DONE\n').done).toBe(true);
  });
});
