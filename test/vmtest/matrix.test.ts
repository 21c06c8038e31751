import { describe, expect, it } from 'vitest';
import { cellFromCheck, formatMatrix, noTraceCell, totals } from '../../vmtest/src/matrix.ts';

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
        'kernel  target     workload  profile      obs  matched  unknown  untraced  mismatch  secs  result',
        '------  ---------  --------  -----------  ---  -------  -------  --------  --------  ----  --------',
        '6.1     ext4       onepage   legacy@6.1    12       11        0         0         1     -  MISMATCH',
        '7.3     ext4       onepage   unified@7.3    7        6        1         1         0  12.3  ok',
        '7.3     devdax-1G  onepage   -              0        0        0         0         0     -  NO TRACE',
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
