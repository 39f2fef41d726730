import { describe, expect, it } from 'vitest'
import { SCALE_BLOCK, SCALE_QUOTE, writeScaling } from '../../bench/scale.mjs'
import { readDoc } from '../support/docs'

// docs/scaling.md reasons from figures the scale bench measures, and those move as the engine
// changes (history storage, Redis Cluster, fan-out). So its figures are never typed by hand: the
// bench writes a block of tables with the values it quotes, and every figure in the prose is a
// quote of one of them, which the bench rewrites on each run.
const REGENERATE = 'run `npm run build && node bench/run.mjs --only=scale`, which rewrites them'
const doc = readDoc('docs/scaling.md')

function generated() {
  const block = doc.match(SCALE_BLOCK)?.[0]
  expect(block, 'docs/scaling.md has a <!-- scale:generated --> block').toBeDefined()
  const values = block!.match(/<!-- scale:values (\{.*\}) -->/)?.[1]
  expect(values, 'the generated block carries its values').toBeDefined()
  return { generated: block!, values: JSON.parse(values!) as Record<string, string> }
}

describe('docs/scaling.md', () => {
  it('quotes only figures its generated block holds, as the block says them', () => {
    const figures = generated()
    const quotes = [...doc.matchAll(SCALE_QUOTE)].map(([, name]) => name)
    expect(quotes).toEqual(expect.arrayContaining(['idle-socket', 'subscribed-socket', 'stream', 'push-commands', 'recovery-commands', 'login-commands', 'nodes-1m', 'memory-1m', 'commands-1m', 'shards-1m', 'first-1m']))
    for (const name of quotes) expect(Object.keys(figures.values), `docs/scaling.md quotes "${name}"`).toContain(name)
    expect(writeScaling(doc, figures), `a quote differs from the generated block: ${REGENERATE}`).toBe(doc)
  })

  it('states no measured figure outside the quotes and the generated block', () => {
    const prose = doc.replace(SCALE_BLOCK, '').replace(SCALE_QUOTE, '')
    const claims = prose.match(/\b\d[\d,.]*\s?(?:B|KB|MB|GB|µs|ms|%)(?![\w-])/g)
    expect(claims, `docs/scaling.md states figures outside <!-- scale: ... --> quotes: ${REGENERATE}`).toBeNull()
  })
})
