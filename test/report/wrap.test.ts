/**
 * Mail wrapping: lines of at most 80 columns counted in code points (an emoji's
 * surrogate pair is one column, a lone surrogate one too), words never cut.
 */
import { describe, expect, it } from 'vitest';
import { wrap } from '../../src/report/wrap.ts';

describe('wrap', () => {
  it('breaks at the last space that keeps a line within the width, continuation indented', () => {
    expect(wrap('aaa bbb ccc ddd', '  ', '    ', 10)).toEqual(['  aaa bbb', '    ccc', '    ddd']);
    expect(wrap('a  b', '', '', 3)).toEqual(['a b']);
  });

  it('counts a surrogate pair as one column and a lone surrogate as one', () => {
    // 😀 is two UTF-16 units, one code point: "😀😀 b" is 4 columns
    expect(wrap('😀😀 b', '', '', 4)).toEqual(['😀😀 b']);
    expect(wrap('😀😀 b', '', '', 3)).toEqual(['😀😀', 'b']);
    expect(wrap('\ud800\ud800 b', '', '', 4)).toEqual(['\ud800\ud800 b']);
    expect(wrap('x b', '😀', '😀', 4)).toEqual(['😀x b']);
    expect(wrap('x b', '😀', '😀', 3)).toEqual(['😀x', '😀b']);
  });

  it('puts a word longer than the width on its own line', () => {
    expect(wrap('a bbbbbbbb c', '', ' ', 4)).toEqual(['a', ' bbbbbbbb', ' c']);
  });
});
