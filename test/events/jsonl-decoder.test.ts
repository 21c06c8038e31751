/**
 * The per-file decoder: optional header on line 1, the tier fixed by the header or
 * the first event, increasing seq across lines, and a cut last line.
 */
import { describe, expect, it } from 'vitest';
import { JsonlDecoder } from '../../src/events/jsonl-decoder.ts';

describe('JsonlDecoder', () => {
  it('reads a header, then events of its tier', () => {
    const d = new JsonlDecoder('f.jsonl');
    expect(d.decode('{"schema":"dax-refsim/1","kind":"ops","profile":"unified@6.16","kconfig":{"CONFIG_FS_DAX_PMD":"y"}}', 1)).toEqual({
      kind: 'header', header: { schema: 'dax-refsim/1', kind: 'ops', profile: 'unified@6.16', kconfig: { CONFIG_FS_DAX_PMD: 'y' } },
    });
    expect(d.decode('{"seq":1,"type":"exit","mm":"mm1"}', 2)).toEqual({ kind: 'op', event: { seq: 1, type: 'exit', mm: 'mm1' } });
    expect(d.decode('', 3)).toEqual({ kind: 'blank' });
    expect(d.decode('{"seq":2,"type":"mod","pfn":1,"val":1}', 4)).toMatchObject({ kind: 'issue', issue: { code: 'UNKNOWN_TYPE', line: 4 } });
  });

  it('accepts a description in the header (the scenario corpus names its case with one)', () => {
    expect(new JsonlDecoder('f').decode('{"schema": "dax-refsim/1", "kind": "ops", "description": "S1: PTE fault"}', 1)).toEqual({
      kind: 'header', header: { schema: 'dax-refsim/1', kind: 'ops', profile: null, description: 'S1: PTE fault' },
    });
  });

  it('refuses a bad header and a header after line 1', () => {
    expect(new JsonlDecoder('f').decode('{"schema":"dax-refsim/2","kind":"ops","profile":null}', 1)).toMatchObject({ kind: 'issue', issue: { code: 'BAD_FIELD', column: 11, message: 'schema: expected "dax-refsim/1"' } });
    const d = new JsonlDecoder('f');
    d.decode('{"seq":1,"type":"split","pfn":1}', 1);
    expect(d.decode('{"schema":"dax-refsim/1","kind":"ops","profile":null}', 2)).toMatchObject({ kind: 'issue', issue: { code: 'BAD_FIELD', line: 2, column: 2, message: 'schema: a header is allowed only on line 1' } });
  });

  it('takes the tier from the first event when there is no header (exit names an mm as an Op, a fn as a RefEvent)', () => {
    const ops = new JsonlDecoder('f');
    expect(ops.decode('{"seq":1,"type":"exit","mm":"mm1"}', 1).kind).toBe('op');
    expect(ops.kind).toBe('ops');
    const refs = new JsonlDecoder('f');
    expect(refs.decode('{"seq":1,"type":"exit","fn":"dax_iomap_fault"}', 1).kind).toBe('ref');
    expect(refs.kind).toBe('refevents');
    expect(refs.decode('{"seq":2,"type":"gup.pin","pfn":1,"nr":1,"fast":true,"longterm":false}', 2)).toMatchObject({ issue: { code: 'UNKNOWN_TYPE' } });
  });

  it('checks seq across lines', () => {
    const d = new JsonlDecoder('f');
    d.decode('{"seq":1,"type":"split","pfn":1}', 1);
    d.decode('{"seq":2,"type":"split","pfn":1}', 2);
    expect(d.decode('{"seq":2,"type":"split","pfn":1}', 3)).toMatchObject({ issue: { code: 'BAD_SEQ', line: 3, column: 8 } });
    expect(d.decode('{"seq":3,"type":"split","pfn":1}', 4).kind).toBe('ref');
  });

  it('calls a last line without newline that does not parse TRUNCATED_LINE', () => {
    const d = new JsonlDecoder('f.jsonl');
    expect(d.decode('{"seq":3,"type":"mod","pfn":1,"va', 9, false)).toEqual({
      kind: 'issue',
      issue: {
        file: 'f.jsonl', line: 9, column: 34, code: 'TRUNCATED_LINE',
        message: 'last line is cut (no trailing newline): invalid JSON: expected a closing \'"\'', expected: 'a complete JSON object and a newline',
      },
    });
    expect(new JsonlDecoder('f').decode('{"seq":3,"type":"mod","pfn":1,"va', 9, true)).toMatchObject({ issue: { code: 'BAD_JSON' } });
    expect(new JsonlDecoder('f').decode('{"seq":3,"type":"mod","pfn":1,"val":1}', 9, false).kind).toBe('ref');
  });
});
