import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, readDoc } from '../support/docs'
import { referenceHarness, SECRET } from '../support/reference'
import { signToken } from '../../examples/server/src/index'

// api.md's "Typed events" once typed the login reply's body as `string`: what the reference
// server says to a client without positions, not to the SDK, which always presents one (`since`).
// The block's request map is compiled here against what the server really replies to the SDK's
// login, so a body type that does not hold it fails.
const { connect, start } = referenceHarness()

function typedEventsRequests() {
  const section = readDoc('docs/api.md').split(/^## /m).find((part) => part.startsWith('Typed events\n'))
  expect(section, 'docs/api.md has a "## Typed events" section').toBeDefined()
  const requests = section!.match(/^interface Requests \{\n[\s\S]*?^\}$/m)
  expect(requests, 'its block declares `interface Requests`').not.toBeNull()
  return requests![0]
}

/** tsc's complaints about `code` compiled strict against src/; empty when it compiles. */
function compile(code: string) {
  const dir = mkdtempSync(join(tmpdir(), 'mp-api-types-'))
  try {
    writeFileSync(join(dir, 'check.ts'), code)
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
    const flags = ['--noEmit', '--strict', '--target', 'ES2020', '--module', 'ESNext', '--moduleResolution', 'Bundler', '--skipLibCheck']
    const result = spawnSync(process.execPath, [tsc, ...flags, join(dir, 'check.ts'), join(ROOT, 'src/globals.d.ts')], { encoding: 'utf8' })
    return result.stdout + result.stderr
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('api.md "Typed events"', () => {
  it("types the login reply as the reference server sends it to the SDK's login", async () => {
    const { url } = await start()
    const client = await connect(url)
    // What the SDK sends at its first login: `since: null`, as it tracks positions.
    const reply = await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1'), since: null })
    expect(reply.error).toBe(0)
    const index = JSON.stringify(join(ROOT, 'src/index'))
    const code = [
      `import type { BodyOf, Position, Recovery } from ${index}`,
      'interface Message { text: string }',
      typedEventsRequests(),
      `export const reply: BodyOf<Requests, 'login'> = ${JSON.stringify(reply.body)}`,
    ].join('\n')
    expect(compile(code), code).toBe('')
  }, 60_000)
})
