import { defineConfig } from 'vitest/config'
import base from './vitest.config.mjs'

// The suites that import src/ and examples/server/src directly. The others run the build (dist/),
// browsers or child processes, which a mutant in the sources never reaches, so they would only
// slow every mutant down. types.test.ts is left out too: its checks are compile-time ones, and
// Stryker marks the files of its sandbox `@ts-nocheck`.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/server/**/*.test.ts'],
    exclude: ['test/unit/types.test.ts'],
  },
})
