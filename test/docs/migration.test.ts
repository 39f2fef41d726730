import { describe, expect, it } from 'vitest'
import { readDoc } from '../support/docs'

// The guide once mapped socket.js's methods but not its options: reConnectTime and heartTime had
// no mp-socket counterpart in it. Every option of socket.js's `config` (quoted in the guide's
// "Options") has a row there; the guide's TypeScript translation compiles in test/consumers.
const GUIDE = 'docs/guides/coming-from-socket-js.md'

describe('coming from socket.js', () => {
  const section = readDoc(GUIDE).split(/^## /m).find((part) => part.startsWith('Options\n'))

  it("maps every option of socket.js's config to mp-socket", () => {
    expect(section, `${GUIDE} has an "## Options" section`).toBeDefined()
    const config = section!.match(/^config = \{\n([\s\S]*?)^\};$/m)
    expect(config, "the section quotes socket.js's `config = { … }`").not.toBeNull()
    const options = [...config![1].matchAll(/^\s*(\w+):/gm)].map((match) => match[1])
    expect(options).toEqual(['url', 'debug', 'reConnectTime', 'heartTime'])
    for (const option of options) {
      const row = section!.match(new RegExp(`^\\| \`${option}\`[^|]*\\| ([^|]+) \\|`, 'm'))
      expect(row, `${GUIDE}: a row for socket.js's ${option}`).not.toBeNull()
      expect(row![1], `${GUIDE}: the mp-socket option for ${option}`).toMatch(/`\w+/)
    }
  })

  it('translates the app\'s own settings in a TypeScript block', () => {
    const block = section!.match(/^```ts\n([\s\S]*?)^```$/m)
    expect(block, 'a ts block, compiled by test/consumers').not.toBeNull()
    for (const option of ['reconnect:', 'heartbeat:', 'debug:', 'url:']) expect(block![1]).toContain(option)
  })
})
