import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/trace/issues.ts';
import { parseTraceText } from '../../src/trace/read-trace.ts';

const DIR = new URL('../../events/traces/', import.meta.url);
const TRACES = readdirSync(DIR).filter((n) => /\.(trace|tracecmd|tracecmd-t)\.txt$/.test(n)).sort();

/** The `name=N …` list of a trace's `.md` "Event counts" section. */
function mdCounts(md: string): Record<string, number> {
  const section = md.split('## Event counts')[1] ?? '';
  const list = /`([^`]+)`/.exec(section)?.[1] ?? '';
  return Object.fromEntries(list.split(/\s+/).map((kv) => kv.split('=')).map(([k, v]) => [k ?? '', Number(v)]));
}

/** Counts the `.md` of `name` lists; the trace-cmd renderings share the raw run's counts, with `print` for markers. */
function expectedCounts(name: string): Record<string, number> {
  if (name.includes('.tracecmd')) {
    const raw = mdCounts(readFileSync(new URL('k72dbg-ext4-daxwork.md', DIR), 'utf8'));
    const { tracing_mark_write: marks, ...rest } = raw;
    return { ...rest, print: marks ?? 0 };
  }
  return mdCounts(readFileSync(new URL(name.replace(/\.trace\.txt$/, '.md'), DIR), 'utf8'));
}

describe('the recorded corpus in events/traces', () => {
  it('holds 16 trace texts (14 raw tracefs runs and the two trace-cmd renderings)', () => {
    expect(TRACES).toHaveLength(16);
    expect(TRACES.filter((n) => n.includes('.tracecmd'))).toEqual(['k72dbg-ext4-daxwork.tracecmd-t.txt', 'k72dbg-ext4-daxwork.tracecmd.txt']);
  });
});

describe.each(TRACES)('%s', (name) => {
  const text = readFileSync(new URL(name, DIR), 'utf8');
  const trace = parseTraceText(text, `events/traces/${name}`);

  it('parses every line with no issue at all (no error, no UNKNOWN_EVENT)', () => {
    expect(trace.issues.map(formatIssue)).toEqual([]);
    expect(trace.summary.errors).toBe(0);
    expect(trace.summary.lines).toBe(text.split('\n').length - 1);
  });

  it('types every event (no generic records)', () => {
    expect(trace.records.filter((r) => r.kind === 'generic').map((r) => r.event)).toEqual([]);
  });

  it('counts exactly the events its .md lists', () => {
    expect(trace.summary.eventCounts).toEqual(expectedCounts(name));
  });

  it('has as many records as ftrace says entries (raw runs) and ends with KTRACE-END', () => {
    if (trace.header.entries !== null) expect(trace.records).toHaveLength(trace.header.entries.inBuffer);
    expect(trace.summary.ended).toBe(true);
    expect(trace.header.ktrace).toBe(true);
  });

  it('types each kprobe event from a header definition', () => {
    const untyped = trace.records.filter((r) => r.kind === 'kprobe' && r.probe === null);
    expect(untyped).toEqual([]);
  });

  it('has one snap line before every marker, with the same text', () => {
    const snaps = trace.records.filter((r) => r.kind === 'kprobe' && r.event === 'snap');
    const markers = trace.records.filter((r) => r.kind === 'marker');
    expect(snaps.map((s) => (s.kind === 'kprobe' ? s.fields['txt'] : null))).toEqual(markers.map((m) => (m.kind === 'marker' ? m.text : null)));
  });
});
