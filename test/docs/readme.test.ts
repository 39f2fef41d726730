import { existsSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, readDoc, wholeFileCode } from '../support/docs'

// A README snippet is copied as it stands. Two did not work so: the WeChat app.js required
// ./config, which the README never showed, and a uni-app chat page sent this.chatId, which nothing
// set. So a snippet that uses a module of its own or `this` (a page's state) is an example's whole
// file, marked `<!-- file: path -->` (of a .vue file, its whole <script>): the examples are built
// and run in CI. Every module such a file requires is shown too.
interface Block {
  file?: string
  code: string
}

function readmeBlocks(): Block[] {
  const text = readDoc('README.md')
  return [...text.matchAll(/(?:<!-- file: (\S+) -->\n)?^```(?:js|ts)\n([\s\S]*?)^```$/gm)].map((match) => ({ file: match[1], code: match[2] }))
}

/** What README must show of `file`: all of it, or the whole <script> of a single-file component. */
function shown(file: string) {
  const code = wholeFileCode(file)
  expect(code, `${file} has a <script>`).toBeDefined()
  return code
}

const relativeModules = (code: string) => [...code.matchAll(/(?:require\(|from |import\()\s*['"](\.\.?\/[^'"]+)['"]/g)].map((match) => match[1])

/** The file a relative module names, as a bundler or WeChat resolves it. */
function resolveModule(from: string, specifier: string) {
  const base = join(dirname(from), specifier)
  const found = ['', '.js', '.mjs', '.ts', '.vue', '/index.js'].map((ending) => base + ending).find((path) => existsSync(join(ROOT, path)))
  expect(found, `${from} requires ${specifier}, which does not exist`).toBeDefined()
  return relative(ROOT, join(ROOT, found!))
}

describe('README snippets are complete', () => {
  const blocks = readmeBlocks()

  it('a marked snippet is the whole file it names', () => {
    const marked = blocks.filter((block) => block.file)
    expect(marked.length).toBeGreaterThanOrEqual(5)
    for (const { file, code } of marked) expect(code, `README's block marked ${file}`).toBe(shown(file!))
  })

  it('every module a snippet requires is shown as well', () => {
    const files = new Set(blocks.map((block) => block.file).filter(Boolean))
    for (const { file, code } of blocks.filter((block) => block.file)) {
      for (const specifier of relativeModules(code)) {
        const target = resolveModule(file!, specifier)
        expect(files.has(target), `${file} requires ${specifier}: README must show ${target} too`).toBe(true)
      }
    }
  })

  it('a snippet that uses its own modules or `this` is an example file', () => {
    for (const { file, code } of blocks.filter((block) => !block.file)) {
      const first = code.split('\n')[0]
      expect(relativeModules(code), `README's block "${first}" requires modules README does not show`).toEqual([])
      expect(/\bthis\./.test(code), `README's block "${first}" uses \`this\`: show the whole file it is from`).toBe(false)
    }
  })
})
