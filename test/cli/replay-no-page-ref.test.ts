/**
 * `dax-refsim replay <trace>` of a stock kernel's kprobe recording: it holds no
 * page_ref event, so nothing is replayed, and the command says so (and which command
 * reads such a trace) instead of leaving "findings: none" to read as a clean run.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './in-process.ts';

describe('dax-refsim replay <trace without page_ref events>', () => {
  it('k72-ext4-daxwork.trace.txt (CONFIG_DEBUG_PAGE_REF=n): 0 events, a note naming the reason and `check`, exit 0', async () => {
    const file = 'events/traces/k72-ext4-daxwork.trace.txt';
    const r = await cli('replay', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('profile: unified@7.2    events: 0    folios: 0\n\nno folio was written\n\nfindings: none\n');
    expect(r.stderr).toBe(`dax-refsim: note: ${file} has no page_ref event (its header says CONFIG_DEBUG_PAGE_REF=n): replay reads page_ref events only, so nothing was replayed; \`dax-refsim check ${file}\` compares its probe events and snaps\n`);
  });

  it('a page_ref trace gets no such note', async () => {
    const r = await cli('replay', 'events/traces/k72dbg-ext4-daxwork.trace.txt');
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain('has no page_ref event');
  });
});
