import { describe, expect, it } from 'vitest'
import { readDoc, userDocs } from '../support/docs'

// README, protocol.md and server.md once said uni-h5 loses close codes while runtime-notes.md,
// from the browser suite, said it keeps them (it does). runtime-notes.md's "Close codes" table is
// now the one place that says which runtime does what; every other sentence about lost close
// codes must name only runtimes that table says lose them.
const RUNTIMES: Record<string, RegExp> = {
  'uni-h5': /\buni(?:-app)?(?:'s)?[- ]H5\b/i,
  'Taro-H5': /\bTaro(?:'s)?[- ]H5\b/i,
}

function closeCodeTable() {
  const notes = readDoc('docs/runtime-notes.md')
  const section = notes.split(/^## /m).find((part) => part.startsWith('Close codes\n'))
  expect(section, 'docs/runtime-notes.md has a "## Close codes" section').toBeDefined()
  const rows = [...section!.matchAll(/^\| (\S+) [^|]*\| (kept|lost)\b/gm)].map(([, runtime, fate]) => ({ runtime, fate }))
  for (const { runtime } of rows) expect(Object.keys(RUNTIMES), `a runtime of the table: ${runtime}`).toContain(runtime)
  return rows
}

/** Clauses of a doc: paragraphs joined into lines, cut at sentence ends, semicolons and table cells. */
function clauses(text: string) {
  return text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s*\n\s*/g, ' '))
    .flatMap((paragraph) => paragraph.split(/(?<=[.;])\s+|\s\|\s/))
}

const saysLost = (clause: string) => /close codes?/i.test(clause) && /\b(?:lose|loses|lost|losing)\b|\bdo(?:es)? not survive\b/i.test(clause)

describe('which runtimes lose close codes', () => {
  // What test/browser/final.test.ts ("a kick by close code alone") asserts of each runtime.
  it("runtime-notes.md's table names each runtime the browser suite runs, kept or lost", () => {
    const rows = closeCodeTable()
    expect(rows.map((row) => row.runtime).sort()).toEqual(Object.keys(RUNTIMES).sort())
    expect(rows.find((row) => row.runtime === 'uni-h5')!.fate).toBe('kept')
    expect(rows.find((row) => row.runtime === 'Taro-H5')!.fate).toBe('lost')
  })

  it('every doc that says a runtime loses close codes names only runtimes the table says lose them', () => {
    const kept = closeCodeTable().filter((row) => row.fate === 'kept').map((row) => row.runtime)
    let claims = 0
    for (const doc of userDocs().filter((doc) => doc !== 'docs/runtime-notes.md')) {
      for (const clause of clauses(readDoc(doc)).filter(saysLost)) {
        claims++
        for (const runtime of kept) expect(RUNTIMES[runtime].test(clause), `${doc} says "${clause}", but ${runtime} keeps close codes (docs/runtime-notes.md)`).toBe(false)
      }
    }
    expect(claims, 'README, api.md, protocol.md and server.md say where close codes are lost').toBeGreaterThanOrEqual(4)
  })
})
