// Mutation testing (`npm run mutate`, see docs/testing.md): not part of CI, it takes long.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.mts' },
  mutate: ['src/**/*.ts', '!src/**/*.d.ts', 'examples/server/src/engine*.ts'],
  // Only the tests that import the mutated file run against each mutant.
  coverageAnalysis: 'perTest',
  // Re-runs only mutants whose code or tests changed since the last run.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 1,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
}
