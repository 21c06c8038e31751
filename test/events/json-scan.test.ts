/** The recognizer that positions issues: key/value offsets, and the first syntax error. */
import { describe, expect, it } from 'vitest';
import { scanJsonLine } from '../../src/events/json-scan.ts';

describe('scanJsonLine', () => {
  it('finds every key and value, nested ones by dotted path', () => {
    const r = scanJsonLine('{"a": 1, "vma": {"start": [1, {"x": 2}]}, "s":"q\\"}"}');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.keys.get('a')).toEqual({ key: 1, value: 6 });
    expect(r.keys.get('vma')).toEqual({ key: 9, value: 16 });
    expect(r.keys.get('vma.start')).toEqual({ key: 17, value: 26 });
    expect(r.keys.get('vma.start.1.x')).toEqual({ key: 31, value: 36 });
    expect(r.keys.get('s')).toEqual({ key: 42, value: 46 });
    expect(r.objects.get('')).toBe(0);
    expect(r.objects.get('vma')).toBe(16);
  });

  it.each([
    ['{"a":1,}', 7, 'a "key" string'],
    ['{"a" 1}', 5, "':' after a key"],
    ['{"a":1 "b":2}', 7, "',' or '}' after a value"],
    ['{"a":tru}', 5, 'a JSON value'],
    ['{"a":"\\x"}', 7, 'an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX'],
    ['{"a":"\\u12"}', 7, 'four hex digits after \\u'],
    ['{"a":[1 2]}', 8, "',' or ']' after a value"],
    ['{"a":1} x', 8, 'the end of the line after one JSON value'],
    ['{"a":"b', 7, 'a closing \'"\''],
    ['{"a":01}', 6, "',' or '}' after a value"],
  ])('positions the error in %s at offset %i', (text, offset, expected) => {
    expect(scanJsonLine(text)).toEqual({ ok: false, offset, expected });
  });

  it('agrees with JSON.parse on what is valid', () => {
    for (const text of ['{}', '[]', '"x"', '-0.5e+3', 'null', '{"a":[true,false,null,{"b":"\\u00e9"}]}', '{"a":1}x', '{a:1}', "{'a':1}", '[1,]']) {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(scanJsonLine(text).ok, text).toBe(valid);
    }
  });
});
