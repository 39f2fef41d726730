// Prints the one line CI reads, "N passed, N failed", from vitest's JSON report. A missing
// report (the build or vitest itself broke), a failed typecheck and a vitest run that failed with
// every test passing (unhandled errors) each count as one failure.
import { existsSync, readFileSync } from 'node:fs'

const [reportPath, typecheckFailed = '0', testStatus = '0'] = process.argv.slice(2)
let passed = 0
let failed = Number(typecheckFailed) ? 1 : 0
let skipped = 0

if (reportPath && existsSync(reportPath)) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'))
  passed += report.numPassedTests ?? 0
  failed += report.numFailedTests ?? 0
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  // Files that failed with no failed test to show for it (they did not load, or a beforeAll threw
  // and every test was skipped): count each as one failure.
  for (const file of report.testResults ?? []) {
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed')) failed++
  }
  if (passed + failed === 0) failed++
  if (Number(testStatus) && !failed) failed++
} else {
  failed++
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed ? 1 : 0)
