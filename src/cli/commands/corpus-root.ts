/**
 * Where the built-in corpus lives: replays/ at the package root, found from this
 * module's location (src/cli/commands under vitest, dist/cli/commands when built).
 */
import { fileURLToPath } from 'node:url';

/** The package's replays/ folder. */
export function corpusRoot(): string {
  return fileURLToPath(new URL('../../../replays', import.meta.url));
}
