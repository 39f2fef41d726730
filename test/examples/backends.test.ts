// Backends that are not Node (issue 18), run for real: PHP 8.2 (php-redis, php-curl) and Python
// (redis-py) mint the tokens the SDK logs in with, push through Redis and through HTTP, and kick,
// against two CLI nodes on one redis-server. docs/server.md shows these files as they are.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { verifyToken } from '../../examples/server/src/token'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import { KickedError } from '../../src/errors'
import type { MpSocket } from '../../src/types'
import { ROOT } from '../support/pack'
import { PUSH_SECRET, SECRET, eventually, startRedis, startServerProcess, type ServerProcess } from '../support/processes'

const run = promisify(execFile)
const BACKENDS = {
  php: { command: 'php', cli: 'examples/backends/php/cli.php', library: 'examples/backends/php/mp_socket.php', install: 'apt-get install -y php8.2-cli php-redis php-curl' },
  python: { command: '/usr/bin/python3', cli: 'examples/backends/python/cli.py', library: 'examples/backends/python/mp_socket.py', install: 'apt-get install -y python3-redis' },
}

let redis: Awaited<ReturnType<typeof startRedis>>
let nodeA: ServerProcess
let nodeB: ServerProcess
const cleanups: Array<() => unknown> = []
const each: Array<() => unknown> = []

beforeAll(async () => {
  redis = await startRedis()
  cleanups.push(() => redis.stop())
  ;[nodeA, nodeB] = await Promise.all([0, 1].map(() => startServerProcess({ REDIS_URL: redis.url })))
  cleanups.push(() => nodeA.kill(), () => nodeB.kill())
})
afterEach(async () => {
  for (const cleanup of each.splice(0).reverse()) await cleanup()
})
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

for (const [language, backend] of Object.entries(BACKENDS)) {
  describe(`a ${language} backend`, () => {
    /** Runs the backend's CLI against node B (HTTP) and the shared Redis; resolves with what it printed. */
    async function backendSays(...args: string[]) {
      const env = { ...process.env, MP_SECRET: SECRET, MP_PUSH_SECRET: PUSH_SECRET, MP_HTTP: nodeB.http, REDIS_URL: redis.url }
      try {
        const { stdout } = await run(backend.command, [join(ROOT, backend.cli), ...args], { env })
        return stdout.trim()
      } catch (error) {
        throw new Error(`${language} ${args.join(' ')} failed (${backend.install}?): ${(error as { stderr?: string }).stderr ?? error}`)
      }
    }

    /** A phone on node A that logs in with the token `mint` gets from the backend. */
    async function phone(user: string, mint: () => Promise<string>) {
      const got: unknown[] = []
      const seen = { stopped: undefined as unknown }
      const socket: MpSocket = createSocket({
        url: nodeA.url,
        runtime: web(WebSocket),
        login: async () => ({ u: user, token: await mint() }),
        reconnect: { minDelay: 20, maxDelay: 50 },
      })
      each.push(() => socket.close())
      socket.on('order', (message) => got.push(message.msg))
      socket.onStatus((status, _previous, error) => status === 'idle' && (seen.stopped = error))
      socket.connectionLoop()
      await socket.ready()
      return { socket, got, seen }
    }

    it('mints a plain and an expiring token the server takes', async () => {
      const user = `user:${language}-1`
      expect(verifyToken(SECRET, user, await backendSays('token', user))).toBe('ok')
      const expiring = await backendSays('expiring-token', user, '3600')
      expect(verifyToken(SECRET, user, expiring)).toBe('ok')
      const expiry = Number(expiring.split('.')[0])
      expect(Math.abs(expiry - (Date.now() / 1000 + 3600))).toBeLessThan(120)
      expect(verifyToken(SECRET, user, expiring, (expiry + 1) * 1000)).toBe('expired')
      expect(verifyToken(SECRET, user, await backendSays('expiring-token', user, '-60'))).toBe('expired')
    })

    it('pushes through Redis and through HTTP to a phone logged in with its tokens', async () => {
      const user = `user:${language}-2`
      const { got } = await phone(user, () => backendSays('expiring-token', user, '3600'))
      expect(await backendSays('push-redis', user, 'order', '{"id":1}')).toBe('published')
      await eventually(() => expect(got).toEqual([{ id: 1 }]))
      expect(JSON.parse(await backendSays('push-http', user, 'order', '{"id":2}'))).toEqual({ delivered: 1 })
      await eventually(() => expect(got).toEqual([{ id: 1 }, { id: 2 }]))
    })

    it('kicks through HTTP and through Redis: the phone stops with KickedError', async () => {
      const viaHttp = await phone(`user:${language}-3`, () => backendSays('token', `user:${language}-3`))
      expect(JSON.parse(await backendSays('kick-http', `user:${language}-3`, 'logged in elsewhere'))).toEqual({ disconnected: 1 })
      await eventually(() => expect(viaHttp.seen.stopped).toBeInstanceOf(KickedError))
      expect(viaHttp.seen.stopped).toMatchObject({ code: 4409, reason: 'logged in elsewhere' })

      const viaRedis = await phone(`user:${language}-4`, () => backendSays('token', `user:${language}-4`))
      expect(await backendSays('kick-redis', `user:${language}-4`, 'banned')).toBe('published')
      await eventually(() => expect(viaRedis.seen.stopped).toBeInstanceOf(KickedError))
      expect(viaRedis.seen.stopped).toMatchObject({ code: 4409, reason: 'banned' })
      expect(JSON.parse(await backendSays('kick-http', 'user:nobody', 'gone'))).toEqual({ disconnected: 0 })
    })

    it('is what docs/server.md shows', () => {
      const doc = readFileSync(join(ROOT, 'docs/server.md'), 'utf8')
      for (const file of [backend.library, backend.cli]) {
        const block = doc.match(new RegExp(`<!-- file: ${file} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)^\`\`\`$`, 'm'))
        expect(block, `docs/server.md shows ${file}`).not.toBeNull()
        expect(block![1]).toBe(readFileSync(join(ROOT, file), 'utf8'))
      }
    })
  })
}
