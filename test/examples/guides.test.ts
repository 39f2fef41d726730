import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../support/browser'

// The guides show the code the examples run: every code block marked `<!-- file: path -->` is that
// file or a part of it, and every relative link leads somewhere. Nothing else may follow the
// file's code in a marked block: protocol.md's flag protocol once ended with 11 lines of its use
// that were in no file and never ran.
const guides = readdirSync(join(ROOT, 'docs/guides')).filter((file) => file.endsWith('.md')).map((file) => `docs/guides/${file}`)
const documents = [...guides, 'docs/protocol.md', 'README.md']

function markedBlocks(doc: string) {
  const text = readFileSync(join(ROOT, doc), 'utf8')
  return [...text.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)^```$/gm)].map((match) => ({ file: match[1], code: match[2].replace(/\n$/, '') }))
}

describe('docs/guides', () => {
  it('has one guide per example, each linking its example', () => {
    for (const example of ['live-location', 'ride-hailing', 'customer-service']) {
      const guide = readFileSync(join(ROOT, `docs/guides/${example}.md`), 'utf8')
      expect(guide).toContain(`(../../examples/${example})`)
      const readme = readFileSync(join(ROOT, `examples/${example}/README.md`), 'utf8')
      expect(readme).toContain(`[docs/guides/${example}.md](../../docs/guides/${example}.md)`)
      // The guide's command is the README's.
      const command = readme.match(/```sh\n(npm ci[^\n]*)\n/)![1]
      expect(guide).toContain(command)
    }
  })

  for (const doc of documents) {
    it(`${doc}: marked code blocks are the examples' code`, () => {
      const blocks = markedBlocks(doc)
      // Counted, so that a pattern matching nothing cannot pass: every document but the guides' index shows marked code.
      if (doc !== 'docs/guides/README.md') expect(blocks.length, `${doc} shows code from an example`).toBeGreaterThan(0)
      for (const { file, code } of blocks) {
        const source = readFileSync(join(ROOT, file), 'utf8').replace(/\n$/, '')
        expect(source.includes(code), `${doc}: the block marked ${file} is not in that file`).toBe(true)
      }
    })
  }

  for (const doc of guides) {
    it(`${doc}: relative links resolve`, () => {
      const text = readFileSync(join(ROOT, doc), 'utf8')
      const relative = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map(([, target]) => target).filter((target) => !/^https?:/.test(target))
      // Every guide links its example or the other guides: none found means the pattern broke.
      expect(relative.length, `${doc} has relative links`).toBeGreaterThan(0)
      for (const target of relative) expect(existsSync(join(ROOT, dirname(doc), target)), `${doc} links to ${target}`).toBe(true)
    })
  }
})
