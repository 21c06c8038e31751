import { describe, expect, it } from 'vitest';
import { formatIssue, makeIssue, type ParseIssue } from '../../src/trace/issues.ts';

describe('formatIssue', () => {
  it('prints file:line:column CODE message, the line and a caret under the column', () => {
    const issue: ParseIssue = {
      code: 'BAD_FIELD', severity: 'error', file: 'events/pmd.trace.txt', line: 1234, column: 17,
      text: 'x: (f+0x0/0x1) a=zz', message: 'a=zz expected s32',
    };
    expect(formatIssue(issue)).toBe('events/pmd.trace.txt:1234:17 BAD_FIELD a=zz expected s32\nx: (f+0x0/0x1) a=zz\n                ^');
  });

  it('cuts a long line to a window around the column, marking the cuts', () => {
    const text = `${'a'.repeat(300)}X${'b'.repeat(300)}`;
    const out = formatIssue({ code: 'BAD_LINE', severity: 'error', file: 'f', line: 1, column: 301, text, message: 'm' }).split('\n');
    expect(out[1]).toBe(`…${'a'.repeat(50)}X${'b'.repeat(49)}…`);
    expect(out[2]).toBe(`${' '.repeat(51)}^`);
    expect(out[1]?.[out[2]?.indexOf('^') ?? -1]).toBe('X');
  });

  it('puts the caret at the end for a column past the text', () => {
    const out = formatIssue({ code: 'TRUNCATED_LINE', severity: 'warning', file: 'f', line: 3, column: 5, text: 'abcd', message: 'cut' });
    expect(out).toBe('f:3:5 TRUNCATED_LINE cut\nabcd\n    ^');
  });
});

describe('makeIssue', () => {
  it('converts a 0-based offset to a 1-based column and uses the default severity', () => {
    expect(makeIssue({ file: 'f', line: 2, text: 't' }, 'UNKNOWN_EVENT', 0, 'm')).toEqual({
      code: 'UNKNOWN_EVENT', severity: 'warning', file: 'f', line: 2, column: 1, text: 't', message: 'm',
    });
    expect(makeIssue({ file: 'f', line: 2, text: 't' }, 'TRUNCATED_LINE', 4, 'm', 'warning').severity).toBe('warning');
    expect(makeIssue({ file: 'f', line: 2, text: 't' }, 'BAD_LINE', 4, 'm').severity).toBe('error');
  });
});
