// Regenerates replays/<case>/ops.jsonl from replays/<case>/scenario.dax (the source)
// with the built CLI; test/scenario/parser.test.ts fails when they drift apart.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('../replays/', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
for (const name of readdirSync(root).sort()) {
  const dax = `${root}${name}/scenario.dax`;
  if (!existsSync(dax)) continue;
  execFileSync(process.execPath, [cli, 'ops', dax, '--out', `${root}${name}/ops.jsonl`], { stdio: 'inherit' });
}
