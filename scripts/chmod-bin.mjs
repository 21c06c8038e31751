// The bin entry must be executable after tsc emits it (tsc writes mode 0644).
import { chmodSync, existsSync } from 'node:fs';
const bin = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(bin)) chmodSync(bin, 0o755);
// The recorder runs on the machine under test as a plain POSIX sh script: ship it next
// to the compiled CLI (dist/record/), executable, exactly as written.
import { copyFileSync, mkdirSync } from 'node:fs';
const recorderSrc = new URL('../src/record/dax-refsim-record.sh', import.meta.url);
const recorderDst = new URL('../dist/record/dax-refsim-record.sh', import.meta.url);
mkdirSync(new URL('../dist/record/', import.meta.url), { recursive: true });
copyFileSync(recorderSrc, recorderDst);
chmodSync(recorderDst, 0o755);
