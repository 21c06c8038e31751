import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The CLI tests spawn the built CLI; give them room on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // `vitest run` (npm test, .ci/run) runs both; `--project unit` skips the slow ones
    // (the 5,000,000-event memory test) while iterating.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/**/*.slow.test.ts'] } },
      { extends: true, test: { name: 'slow', include: ['test/**/*.slow.test.ts'] } },
    ],
  },
});
