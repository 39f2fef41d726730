import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { deeperThan, nestsDeeperThan } from '../../examples/server/src/frames'

/** JSON nested `depth` levels in objects and arrays, with brackets inside strings along the way. */
const nested = fc.integer({ min: 0, max: 40 }).chain((depth) =>
  fc.array(fc.boolean(), { minLength: depth, maxLength: depth }).map((kinds) => {
    let text = '"[{\\"}"'
    for (const isArray of kinds) text = isArray ? `[1,${text},"]"]` : `{"a":${text},"b":"{{"}`
    return text
  }),
)

describe('frame depth', () => {
  it('a parsed frame is too deep exactly when its text is', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), nested), fc.integer({ min: 0, max: 40 }), (text, limit) => {
        expect(nestsDeeperThan(JSON.parse(text), limit)).toBe(deeperThan(text, limit))
      }),
      { numRuns: 2000 },
    )
  })
})
