import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ENTRIES, QUOTED_SIZE, sizes } from '../../bench/size.mjs'

const ROOT = join(__dirname, '../..')
if (!existsSync(join(ROOT, 'dist/wx.mjs'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)')

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
/** Rounding to one decimal of a KB is 50 B; more than this is a figure from another build. */
const MARGIN = 100
const REGENERATE = 'run `npm run build && node bench/run.mjs --only=size`, which rewrites them'

// README's sizes were once written by hand ("about 4 KB") and went stale as the entries grew to
// 5.9 KB. Now the bench writes them, and this compares them with what the bench measures.
describe("README's quoted sizes", () => {
  const quotes = [...README.matchAll(QUOTED_SIZE)].map(([, name, quoted]) => ({ name, quoted }))

  it('are each a row of bench/size.mjs, in KB', () => {
    expect(quotes.map((quote) => quote.name)).toEqual(expect.arrayContaining(['mp-socket/wx', 'mp-socket/wx after WeChat build npm']))
    for (const { name, quoted } of quotes) {
      expect(ENTRIES.map((entry) => entry.name), `README quotes "${name}"`).toContain(name)
      expect(quoted, name).toMatch(/^\d+\.\d KB$/)
    }
  })

  it(`differ from the bench's measurement by at most ${MARGIN} B min+gzip`, async () => {
    const { rows } = await sizes([...new Set(quotes.map((quote) => quote.name))])
    for (const { name, quoted } of quotes) {
      const measured = rows.find((row) => row.name === name)!.gzip!
      const difference = Math.abs(parseFloat(quoted) * 1000 - measured)
      expect(difference, `README says ${quoted} for ${name}, the bench measures ${measured} B: ${REGENERATE}`).toBeLessThanOrEqual(MARGIN)
    }
  })

  it('are the only sizes README states', () => {
    const outside = README.replace(QUOTED_SIZE, '')
    const claims = outside.match(/\b\d[\d,.]*\s?(?:B|KB|kB|KiB|bytes)\b/g)
    expect(claims, `README states sizes outside <!-- size: ... --> quotes: ${REGENERATE}`).toBeNull()
  })
})
