import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { parseEventLine } from '../../src/trace/line.ts';
import { TraceReader } from '../../src/trace/trace-reader.ts';
import { splitLines } from '../../src/trace/read-trace.ts';
test('perf', () => {
  const text = readFileSync(new URL('../../events/traces/k72dbg-ext4-daxwork.trace.txt', import.meta.url), 'utf8');
  const all = [...splitLines(text)];
  const events = all.slice(144, -1).filter((l) => l.includes('tracing_mark'));
  let t0 = performance.now();
  let n = 0;
  for (let i = 0; i < 10000; i++) for (const l of events) { const r = parseEventLine(l); if ('task' in r) n++; }
  let ms = performance.now() - t0;
  console.log(`parseEventLine n=${n} ${(n / ms / 1000).toFixed(2)}M/s`);
  const r = new TraceReader('x');
  for (const l of all.slice(0, 144)) r.push(l);
  t0 = performance.now(); n = 0;
  for (let i = 0; i < 10000; i++) for (const l of events) { n += r.push(l).length; }
  ms = performance.now() - t0;
  console.log(`reader.push n=${n} ${(n / ms / 1000).toFixed(2)}M/s`);
}, 120000);
