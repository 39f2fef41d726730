import { afterEach, expect } from 'vitest'
import { createServer, signToken, type ServerOptions } from '../../examples/server/src/index'
import { rawClient } from './raw'

export const SECRET = 'server-test-secret'

/**
 * In-process reference servers and raw clients for the server suites; everything started is
 * stopped after each test.
 */
export function referenceHarness() {
  const cleanups: Array<() => unknown> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  async function start(options: Partial<ServerOptions> = {}) {
    const server = createServer({ secret: SECRET, ...options })
    await server.listen()
    cleanups.push(() => server.close())
    const base = `127.0.0.1:${server.port}`
    return { server, url: `ws://${base}/ws`, http: `http://${base}`, port: server.port }
  }

  async function connect(url: string) {
    const client = await rawClient(url)
    cleanups.push(() => client.close())
    return client
  }

  async function loggedIn(url: string, u: string, extra: Record<string, unknown> = {}) {
    const client = await connect(url)
    const reply = await client.request('login', { u, token: signToken(SECRET, u), ...extra })
    expect(reply.error).toBe(0)
    return client
  }

  return { cleanups, start, connect, loggedIn }
}
