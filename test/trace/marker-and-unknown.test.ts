import { describe, expect, it } from 'vitest';
import { parseTraceText } from '../../src/trace/read-trace.ts';

const raw = (task: string, event: string, body: string): string => `${task.padStart(16)}-319     [001] ...2.     4.460699: ${event}: ${body}`;

describe('trace_marker writes', () => {
  it('read tracefs tracing_mark_write: the text exactly, the PHASE word and key=value words', () => {
    const t = parseTraceText(raw('daxrace', 'tracing_mark_write', 'PHASE punch_hole_returned rc=0 errno=0 after=12.01s'), 'm');
    expect(t.issues).toEqual([]);
    expect(t.records[0]).toMatchObject({
      kind: 'marker', event: 'tracing_mark_write', system: 'ftrace', type: 'ftrace:print',
      text: 'PHASE punch_hole_returned rc=0 errno=0 after=12.01s', phase: 'punch_hole_returned',
      fields: { rc: '0', errno: '0', after: '12.01s' },
    });
  });

  it('read a marker that is not a PHASE marker, keeping its leading spaces', () => {
    const t = parseTraceText(raw('daxrace', 'tracing_mark_write', '  RESULT punch_wait=3.01s completed'), 'm');
    expect(t.records[0]).toMatchObject({ kind: 'marker', text: '  RESULT punch_wait=3.01s completed', phase: null, fields: { punch_wait: '3.01s' } });
  });

  it("read trace-cmd's print: tracing_mark_write: form", () => {
    const line = '         daxwork-505   [001]     6.346994: print:                tracing_mark_write: PHASE pmd_read_fault addr=0x7f8e15400000';
    const t = parseTraceText(line, 'm');
    expect(t.issues).toEqual([]);
    expect(t.records[0]).toMatchObject({
      kind: 'marker', event: 'print', type: 'ftrace:print', text: 'PHASE pmd_read_fault addr=0x7f8e15400000',
      phase: 'pmd_read_fault', fields: { addr: '0x7f8e15400000' }, body: 'tracing_mark_write: PHASE pmd_read_fault addr=0x7f8e15400000',
    });
  });
});

describe('events without a parser', () => {
  it('become generic records with their key=value pairs and an UNKNOWN_EVENT warning at the event name', () => {
    const line = raw('bash', 'mm_page_free', 'page=00000000a1b2c3d4 pfn=0x12345 order=0');
    const t = parseTraceText(`KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w\n${line}\nKTRACE-END`, 'u.txt');
    expect(t.records[0]).toMatchObject({
      kind: 'generic', event: 'mm_page_free', system: null, type: 'mm_page_free',
      body: 'page=00000000a1b2c3d4 pfn=0x12345 order=0', fields: { page: '00000000a1b2c3d4', pfn: '0x12345', order: '0' },
    });
    expect(t.issues).toEqual([
      {
        code: 'UNKNOWN_EVENT', severity: 'warning', file: 'u.txt', line: 2, column: line.indexOf('mm_page_free') + 1,
        text: line, message: "no parser for event 'mm_page_free' (reported once per event name)",
      },
    ]);
    expect(t.summary).toMatchObject({ records: 1, errors: 0, warnings: 1, eventCounts: { mm_page_free: 1 } });
  });

  it('warn once per event name by default, or at every line on request', () => {
    const lines = [raw('a', 'sched_switch', 'x=1'), raw('a', 'sched_switch', 'x=2'), raw('a', 'irq_handler_entry', 'irq=9')].join('\n');
    expect(parseTraceText(lines, 'u').issues.map((i) => [i.line, i.code])).toEqual([[1, 'UNKNOWN_EVENT'], [3, 'UNKNOWN_EVENT']]);
    const every = parseTraceText(lines, 'u', { unknownEvents: 'every' });
    expect(every.issues.map((i) => [i.line, i.message])).toEqual([
      [1, "no parser for event 'sched_switch'"],
      [2, "no parser for event 'sched_switch'"],
      [3, "no parser for event 'irq_handler_entry'"],
    ]);
  });

  it('include bodies that are not key=value at all', () => {
    const t = parseTraceText(raw('bash', 'sched_wakeup', 'comm=x pid=5 prio=120 target_cpu=001 extra words'), 'u');
    expect(t.records[0]).toMatchObject({ kind: 'generic', fields: { comm: 'x', pid: '5', prio: '120', target_cpu: '001' } });
    expect(t.issues.map((i) => i.code)).toEqual(['UNKNOWN_EVENT']);
  });
});
