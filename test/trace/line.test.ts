import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/trace/issues.ts';
import { isEventLineError, parseEventLine, type EventLine } from '../../src/trace/line.ts';
import { parseTraceText } from '../../src/trace/read-trace.ts';

function ok(text: string): EventLine {
  const r = parseEventLine(text);
  if (isEventLineError(r)) throw new Error(`not an event line: ${r.message}`);
  return r;
}

describe('event line layouts', () => {
  it('reads raw tracefs with the 5-character latency column', () => {
    const l = ok('         daxwork-319     [001] d..1.     4.513377: try_grab_folio_fast_ret: (gup_fast_fallback+0x56b/0x79e <- try_grab_folio_fast) folio=0xffffea0001201600 ref=2');
    expect(l).toMatchObject({ task: 'daxwork', pid: 319, tgid: null, cpu: 1, irqFlags: 'd..1.', ts: 4.513377, tsText: '4.513377', event: 'try_grab_folio_fast_ret' });
    expect(l.body).toBe('(gup_fast_fallback+0x56b/0x79e <- try_grab_folio_fast) folio=0xffffea0001201600 ref=2');
  });

  it('reads the idle task and a hardirq flag column', () => {
    const l = ok('          <idle>-0       [000] d.h2.    19.011733: put_devmap_folio_refs: (__put_devmap_managed_folio_refs+0x4/0x50) folio=0xffffea0001201480 refs=1024 ref=1025');
    expect(l).toMatchObject({ task: '<idle>', pid: 0, cpu: 0, irqFlags: 'd.h2.', ts: 19.011733 });
  });

  it('reads a (TGID) column, and (-------) as an unknown tgid', () => {
    expect(ok('         daxwork-320     (    319) [000] .....     6.518622: tracing_mark_write: PHASE child_drain_pipe')).toMatchObject({
      task: 'daxwork', pid: 320, tgid: 319, cpu: 0, irqFlags: '.....', event: 'tracing_mark_write', body: 'PHASE child_drain_pipe',
    });
    expect(ok('          <idle>-0       (-------) [001] d.h2.    23.083521: bio_release_pages: (__bio_release_pages+0x0/0x2c0) bio=0xffff88807fa7da40 mark_dirty=0')).toMatchObject({
      task: '<idle>', pid: 0, tgid: null, cpu: 1,
    });
  });

  it('reads lines without the latency column and with the older 4-character one', () => {
    expect(ok('         daxwork-319     [001]     4.455485: snap: (ksys_write+0x4/0x9e) fd=3')).toMatchObject({ irqFlags: null, ts: 4.455485, event: 'snap' });
    expect(ok('            bash-1234  [002] d..1  3000.000100: mm_page_free: page=00000000a1b2c3d4 pfn=0x12345 order=0')).toMatchObject({
      task: 'bash', pid: 1234, cpu: 2, irqFlags: 'd..1', ts: 3000.0001, event: 'mm_page_free',
    });
  });

  it('reads task names with spaces and dashes', () => {
    expect(ok('  Web Content-4242    [003] .....  5123.456789: page_ref_mod: pfn=0x1')).toMatchObject({ task: 'Web Content', pid: 4242 });
    expect(ok(' kworker/u4:2-ev-77    [000] .....     1.000000: wake_up_var: (wake_up_var+0x4/0x21) var=0x0')).toMatchObject({ task: 'kworker/u4:2-ev', pid: 77 });
  });

  it('reads trace-cmd report lines: no latency column, padded event names, 9 decimals with -t', () => {
    const d = ok('         daxwork-505   [001]     6.381360: page_ref_mod:         pfn=0x48600 flags=0x2040 count=1 mapcount=-1 mapping=0xffff888000e629c8 mt=1 val=1');
    expect(d).toMatchObject({ task: 'daxwork', pid: 505, cpu: 1, irqFlags: null, ts: 6.38136, tsText: '6.381360', event: 'page_ref_mod' });
    expect(d.body.trimStart()).toBe('pfn=0x48600 flags=0x2040 count=1 mapcount=-1 mapping=0xffff888000e629c8 mt=1 val=1');
    const t = ok('         daxwork-505   [001]     6.381359849: page_ref_mod:         pfn=0x48600 flags=0x2040 count=1');
    expect(t).toMatchObject({ ts: 6.381359849, tsText: '6.381359849' });
  });
});

describe('lines that are not event lines', () => {
  it('reports a BAD_LINE error at the column where the layout breaks', () => {
    const text = [
      'KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=daxwork',
      '         daxwork-319     [001] .....     4.455485: tracing_mark_write: PHASE first',
      '         daxwork-319     [0x1] .....     4.460699: tracing_mark_write: PHASE x',
      'this is not ftrace output',
      '         daxwork-319     [001] .....     four: tracing_mark_write: PHASE x',
      'KTRACE-END',
    ].join('\n');
    const t = parseTraceText(text, 'bad.txt');
    expect(t.issues.map((i) => [i.code, i.severity, i.line, i.column])).toEqual([
      ['BAD_LINE', 'error', 3, 26],
      ['BAD_LINE', 'error', 4, 1],
      ['BAD_LINE', 'error', 5, 42],
    ]);
    expect(t.issues[0]?.message).toBe('expected [CPU] after TASK-PID');
    expect(formatIssue(t.issues[2] ?? expect.fail('no issue'))).toBe(
      [
        'bad.txt:5:42 BAD_LINE expected TIMESTAMP: (seconds)',
        '         daxwork-319     [001] .....     four: tracing_mark_write: PHASE x',
        `${' '.repeat(41)}^`,
      ].join('\n'),
    );
    expect(t.records).toHaveLength(1);
  });

  it('reports a cut last line as a TRUNCATED_LINE warning, the same cut mid-file as BAD_LINE', () => {
    const cut = '         daxwork-319     [001] .....';
    const atEnd = parseTraceText(`${cut}\n`, 'cut.txt');
    expect(atEnd.issues.map((i) => [i.code, i.severity, i.line, i.column])).toEqual([['TRUNCATED_LINE', 'warning', 1, 37]]);
    const midFile = parseTraceText(`${cut}\n         daxwork-319     [001] .....     4.46: tracing_mark_write: x\n`, 'cut.txt');
    expect(midFile.issues.map((i) => [i.code, i.severity, i.line, i.column])).toEqual([['BAD_LINE', 'error', 1, 37]]);
  });
});
