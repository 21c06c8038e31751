/**
 * `node bench/out/js/bench/generate.js trace|ops PATH N [pfns|fsdaxPfns]`: writes one
 * benchmark input (for trying an input by hand; run.ts generates its own).
 */
import { generateTrace } from './gen-trace.ts';
import { generateOps } from './gen-ops.ts';

const [kind, path, n, size] = process.argv.slice(2);
if (!path || !n || (kind !== 'trace' && kind !== 'ops')) {
  console.error('usage: generate.js trace|ops PATH N [pfns|fsdaxPfns]');
  process.exit(2);
}
if (kind === 'trace') await generateTrace(path, { events: Number(n), pfns: Number(size ?? 65536), seed: 1, kernel: '7.2.13' });
else await generateOps(path, { ops: Number(n), seed: 2, fsdaxPfns: Number(size ?? 2 ** 28), slots: 256, pmdEvery: Number(process.env.PMD_EVERY ?? 8) });
