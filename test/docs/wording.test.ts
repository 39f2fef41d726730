import { describe, expect, it } from 'vitest'
import { readDoc, userDocs } from '../support/docs'

// "seed 000" to "seed 004" were this project's names for the five systems it was built from; 35
// of them reached the docs without ever being defined. The docs name the systems instead: live
// location sharing through Redis pub/sub (PHP, Django), a ride-hailing app with its own message
// format, socket.js with its Laravel + Swoole server, a customer-service chat.
describe('words a user cannot know', () => {
  it('no doc a user reads says "seed"', () => {
    const docs = userDocs()
    expect(docs).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/guides/live-location.md', 'examples/server/README.md']))
    for (const doc of docs) {
      const lines = readDoc(doc)
        .split('\n')
        .map((line, index) => `${doc}:${index + 1}: ${line.trim()}`)
        .filter((line) => /\bseeds?\b/i.test(line.slice(line.indexOf(': ') + 2)))
      expect(lines).toEqual([])
    }
  })
})
