import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, readDoc } from '../support/docs'

// docs/server.md listed the server's Redis keys but not `mp-socket:claim:*` (ingest claims), so an
// operator sizing or scanning Redis met keys the doc never named. Every key the server's source
// builds from its prefix, and every `mp-socket:` name it defaults to, is in the doc's table, and
// the table names nothing the source does not use.
const SOURCE = 'examples/server/src'

function sourceKeys() {
  const keys = new Set<string>()
  const files = readdirSync(join(ROOT, SOURCE), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))
  expect(files.length).toBeGreaterThan(0)
  for (const file of files) {
    const code = readFileSync(join(ROOT, SOURCE, file), 'utf8')
    for (const [, name] of code.matchAll(/\$\{(?:\w+\.)*(?:prefix|redisPrefix)\}:([\w-]+)/g)) keys.add(name)
    for (const [, name] of code.matchAll(/['"`]mp-socket:([\w-]+)/g)) keys.add(name)
  }
  return keys
}

function documentedKeys() {
  const section = readDoc('docs/server.md').split(/^### /m).find((part) => part.startsWith('Redis keys\n'))
  expect(section, 'docs/server.md has a "### Redis keys" section').toBeDefined()
  return new Set([...section!.matchAll(/^\| `mp-socket:([\w-]+)/gm)].map((match) => match[1]))
}

describe("the reference server's Redis keys", () => {
  it("are each in docs/server.md's key table, which lists no other", () => {
    const used = sourceKeys()
    expect([...used]).toEqual(expect.arrayContaining(['history', 'online', 'claim', 'live', 'push']))
    const documented = documentedKeys()
    for (const key of used) expect(documented.has(key), `${SOURCE} uses mp-socket:${key}, which docs/server.md's Redis keys table does not list`).toBe(true)
    for (const key of documented) expect(used.has(key), `docs/server.md lists mp-socket:${key}, which ${SOURCE} does not use`).toBe(true)
  })
})
