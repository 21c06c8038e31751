import { describe, expect, it } from 'vitest';
import { cellFromCheck, expectationProblems, formatMatrix, noTraceCell, phaseWaits, totals } from '../../vmtest/src/matrix.ts';

const base = { kernel: '7.3', target: 'ext4', workload: 'onepage', trace: 'vmtest/out/stock/7.3/ext4-onepage.trace.txt', rc: '0' };
const clean = JSON.stringify({ kernel: '7.3.4+deb13-amd64', profile: 'unified@7.3', kconfig: {}, observations: 7, matched: 6, unknown: 1, untraced: [{ pfn: '0x40010' }], mismatches: [], findings: [] });
const bad = JSON.stringify({
  kernel: '6.1.0-57-amd64', profile: 'legacy@6.1', kconfig: {}, observations: 12, matched: 11, unknown: 0, untraced: [],
  mismatches: [{ line: 88, pfn: '0x40010', field: 'ref', recorded: 2, simulated: 1, function: 'insert_pfn' }], findings: [],
});

describe('cells from check --format json', () => {
  it('exit 0 is ok, with every count from the JSON', () => {
    const c = cellFromCheck(base, 0, clean, '');
    expect(c).toMatchObject({ status: 'ok', profile: 'unified@7.3', observations: 7, matched: 6, unknown: 1, untraced: 1, note: null });
    expect(c.mismatches).toEqual([]);
  });

  it('exit 1 with mismatches is a mismatch cell carrying each mismatch', () => {
    const c = cellFromCheck({ ...base, kernel: '6.1' }, 1, bad, '');
    expect(c.status).toBe('mismatch');
    expect(c.mismatches).toEqual([{ line: 88, pfn: '0x40010', field: 'ref', recorded: 2, simulated: 1, function: 'insert_pfn' }]);
  });

  it('exit 2 (a trace check cannot read) or unreadable JSON is a check error with the reason', () => {
    const c = cellFromCheck(base, 2, '', 'vmtest/out/x.trace.txt:3:1 BAD_LINE expected …\n');
    expect(c.status).toBe('check-error');
    expect(c.note).toBe('check exited 2: vmtest/out/x.trace.txt:3:1 BAD_LINE expected …');
    expect(cellFromCheck(base, 0, '{"observations":"x"}', '').status).toBe('check-error');
  });

  it('on the page_ref tier a clean check with untraced changes does not pass; on the stock tier it does', () => {
    expect(cellFromCheck(base, 0, clean, '', true)).toMatchObject({ status: 'untraced', note: '1 refcount changes untraced on a page_ref kernel' });
    expect(cellFromCheck(base, 0, clean, '', false).status).toBe('ok');
  });

  it('a clean check of a trace without observations does not pass: it checked nothing', () => {
    const empty = JSON.stringify({ kernel: 'k', profile: 'unified@7.3', observations: 0, matched: 0, unknown: 0, untraced: [], mismatches: [] });
    expect(cellFromCheck(base, 0, empty, '')).toMatchObject({ status: 'no-observations', note: 'check found no observation in the trace' });
  });
});

describe('formatMatrix', () => {
  it('prints one row per cell, numbers right-aligned, then each mismatch with trace:line, field, recorded and simulated', () => {
    const cells = [
      cellFromCheck({ ...base, kernel: '6.1', trace: 'vmtest/out/stock/6.1/ext4-onepage.trace.txt' }, 1, bad, ''),
      { ...cellFromCheck(base, 0, clean, ''), seconds: 12.25 },
      noTraceCell({ kernel: '7.3', target: 'devdax-1G', workload: 'onepage', rc: 'setup-failed' }, 'target setup failed (see console.log)'),
    ];
    expect(formatMatrix(cells)).toBe(
      [
        'kernel  target     workload  profile      obs  matched  unknown  untraced  mismatch  findings  secs  result',
        '------  ---------  --------  -----------  ---  -------  -------  --------  --------  --------  ----  --------',
        '6.1     ext4       onepage   legacy@6.1    12       11        0         0         1         0     -  MISMATCH',
        '7.3     ext4       onepage   unified@7.3    7        6        1         1         0         0  12.3  ok',
        '7.3     devdax-1G  onepage   -              0        0        0         0         0         0     -  NO TRACE',
        '',
        'mismatches and cells without a verdict:',
        '  vmtest/out/stock/6.1/ext4-onepage.trace.txt:88 ref pfn 0x40010: recorded 2, simulated 1 (insert_pfn)',
        '  7.3 devdax-1G onepage: target setup failed (see console.log)',
        '',
      ].join('\n'),
    );
  });

  it('totals count a cell as passed only when it checked clean', () => {
    const cells = [cellFromCheck(base, 0, clean, ''), cellFromCheck(base, 1, bad, ''), noTraceCell({ ...base, rc: null }, 'x')];
    expect(totals(cells)).toEqual({ cells: 3, passed: 1, failed: 2, mismatches: 1, observations: 19 });
  });
});

// The markers of fsdax-race's bounded waits as the 6.1 stock vmtest trace prints them
// (ext4-fsdax-race.trace.txt), at lines 3-4, 6-9 and 11-12 of this text.
const TRACE = [
  '# header',
  '  fsdax-race-1183 (1183) [000] .....   1.0: snap: (ksys_write+0x0/0x9c) fd=3 txt="PHASE punch_while_held begin punch_hole off=8192 len=4096"',
  '  fsdax-race-1183 (1183) [000] .....   1.0: tracing_mark_write: PHASE punch_while_held begin punch_hole off=8192 len=4096',
  '  fsdax-race-1183 (1183) [000] .....   2.0: tracing_mark_write: PHASE punch_while_held ok alarm_fired=0',
  '  x',
  '  fsdax-race-1183 (1183) [000] .....   3.0: tracing_mark_write: PHASE punch_during_dio_pte begin punch_hole off=32768 len=4096',
  '  fsdax-race-1183 (1183) [000] .....   3.1: ext4_break_layouts: (ext4_break_layouts+0x0/0xd2) inode=0xff11000100ec9ad8',
  '  <idle>-0 (-------) [000] d.H..   6.0: bio_release_pages: (__bio_release_pages+0x0/0xce) bio=0xff11000104a8b040 mark_dirty=0',
  '  fsdax-race-1183 (1183) [000] .....  15.0: tracing_mark_write: PHASE punch_during_dio_pte ok alarm_fired=1',
  '  x',
  '  fsdax-race-1183 (1183) [000] .....  16.0: tracing_mark_write: PHASE open_slowdev begin path=/dev/vda',
  '  fsdax-race-1183 (1183) [000] .....  16.1: tracing_mark_write: PHASE open_slowdev ok',
].join('\n');
const MW = { code: 'missed-wakeup', severity: 'error', seq: 35, pfn: '0x48058', function: 'folio_put_refs', message: 'the O_DIRECT completion brings page 0x48058 to refcount 1 …' };
const doc = (findings: object[]) => JSON.stringify({ kernel: '6.1.0-57-amd64', profile: 'legacy@6.1', observations: 1011, matched: 1011, unknown: 0, untraced: [], mismatches: [], findings });
const race = { ...base, kernel: '6.1', workload: 'fsdax-race', trace: 'vmtest/out/stock/6.1/ext4-fsdax-race.trace.txt' };

describe('findings checked against the workload\'s PHASE markers', () => {
  it('reads each bounded wait (an end marker with alarm_fired=) with its begin and end lines', () => {
    expect(phaseWaits(TRACE)).toEqual([
      { phase: 'punch_while_held', begin: 3, end: 4, alarmFired: false },
      { phase: 'punch_during_dio_pte', begin: 6, end: 9, alarmFired: true },
    ]);
  });

  it('a missed wakeup inside a wait that only the alarm ended passes: 0 mismatches, the kernel really missed it', () => {
    const c = cellFromCheck(race, 1, doc([{ ...MW, line: 8 }]), '', false, phaseWaits(TRACE));
    expect(c).toMatchObject({ status: 'ok', note: null, observations: 1011 });
    expect(c.findings).toEqual([{ code: 'missed-wakeup', severity: 'error', line: 8, pfn: '0x48058', function: 'folio_put_refs', phase: 'punch_during_dio_pte alarm_fired=1' }]);
    expect(totals([c])).toMatchObject({ passed: 1, failed: 0 });
  });

  it('a missed wakeup where the punch returned without the alarm is a false finding', () => {
    const c = cellFromCheck(race, 1, doc([{ ...MW, line: 4 }, { ...MW, line: 8 }]), '', false, phaseWaits(TRACE));
    expect(c.status).toBe('finding');
    expect(c.note).toBe('missed-wakeup at line 4, but phase punch_while_held ended without the alarm (alarm_fired=0): something woke the waiter');
  });

  it('an alarm with no missed-wakeup in its phase fails, even when check exits 0', () => {
    const c = cellFromCheck(race, 0, doc([]), '', false, phaseWaits(TRACE));
    expect(c.status).toBe('finding');
    expect(c.note).toBe('phase punch_during_dio_pte (lines 6-9) slept until the alarm (alarm_fired=1), and check reports no missed-wakeup in it');
  });

  it('a missed wakeup outside every bounded wait, a line-less one, or another error finding is not confirmed', () => {
    expect(expectationProblems([
      { code: 'missed-wakeup', severity: 'error', line: 8, pfn: null, function: 'f', phase: null },
      { code: 'missed-wakeup', severity: 'error', line: 11, pfn: null, function: 'f', phase: null },
      { code: 'missed-wakeup', severity: 'error', line: null, pfn: null, function: 'f', phase: null },
      { code: 'busy-scan-skipped', severity: 'error', line: 7, pfn: null, function: 'f', phase: null },
      { code: 'some-warning', severity: 'warning', line: 7, pfn: null, function: 'f', phase: null },
    ], phaseWaits(TRACE))).toEqual([
      'missed-wakeup at line 11 falls in no alarm-bounded phase',
      'missed-wakeup at an unknown line falls in no alarm-bounded phase',
      'busy-scan-skipped at line 7: no PHASE marker states that the kernel did this',
    ]);
  });

  it('exit 1 with mismatches stays a mismatch, findings or not', () => {
    expect(cellFromCheck(race, 1, bad, '', false, phaseWaits(TRACE)).status).toBe('mismatch');
  });

  it('the matrix counts the findings and lists them below it with their phase', () => {
    const c = { ...cellFromCheck(race, 1, doc([{ ...MW, line: 8 }]), '', false, phaseWaits(TRACE)), seconds: 73.4 };
    expect(formatMatrix([c])).toBe(
      [
        'kernel  target  workload    profile      obs  matched  unknown  untraced  mismatch  findings  secs  result',
        '------  ------  ----------  ----------  ----  -------  -------  --------  --------  --------  ----  ------',
        '6.1     ext4    fsdax-race  legacy@6.1  1011     1011        0         0         0         1  73.4  ok',
        '',
        'findings (the kernel behaviour check reports; details in each .check.json):',
        '  vmtest/out/stock/6.1/ext4-fsdax-race.trace.txt:8 missed-wakeup (error) pfn 0x48058 in folio_put_refs, phase punch_during_dio_pte alarm_fired=1',
        '',
      ].join('\n'),
    );
  });
});
