import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Development-only checks in src/ (the state machine's transition table) run in the tests; the
  // published builds define it false (tsup.config.ts).
  define: { __DEV__: 'true' },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
