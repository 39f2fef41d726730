import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket as WsWebSocket } from 'ws'
import { web } from '../../src/adapters/web'
import { startServer, tokenFor } from '../support/server'

const ROOT = join(__dirname, '../..')
if (!existsSync(join(ROOT, 'dist/wx.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)')

// Every file a single-runtime entry ships as: ES module, CommonJS, and what WeChat's build npm copies.
const FILES: Array<{ entry: 'wx' | 'uni' | 'web'; file: string; missing: string; pass: string }> = [
  ...(['dist/wx.mjs', 'dist/wx.js', 'miniprogram_dist/wx.js'] as const).map((file) => ({ entry: 'wx' as const, file, missing: 'no wx', pass: 'runtime: miniProgram(api)' })),
  ...(['dist/uni.mjs', 'dist/uni.js', 'miniprogram_dist/uni.js'] as const).map((file) => ({ entry: 'uni' as const, file, missing: 'no uni', pass: 'runtime: an adapter' })),
  ...(['dist/web.mjs', 'dist/web.js'] as const).map((file) => ({ entry: 'web' as const, file, missing: 'no WebSocket', pass: 'runtime: web(WebSocket) from ws' })),
]

/**
 * `createSocket({ url })` of `file` in a fresh Node process without wx, uni or a global WebSocket
 * (Node 22 has one: it is deleted first). What it threw, or `returned` when it did not.
 */
function createSocketWithoutRuntime(file: string) {
  const script = `
    delete globalThis.WebSocket
    const entry = await import(${JSON.stringify(pathToFileURL(join(ROOT, file)).href)})
    const { createSocket, MpSocketError } = entry.default && entry.default.createSocket ? entry.default : entry
    let outcome = 'returned'
    try {
      createSocket({ url: 'ws://127.0.0.1:9/ws' }).close()
    } catch (error) {
      outcome = { name: error.name, message: error.message, typed: error instanceof MpSocketError }
    }
    console.log(JSON.stringify(outcome))`
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 })
  expect(result.stderr).toBe('')
  return JSON.parse(result.stdout)
}

describe('a single-runtime entry without its runtime', () => {
  for (const { entry, file, missing, pass } of FILES) {
    it(`${file}: createSocket throws MpSocketError saying what is missing and what to pass`, () => {
      expect(createSocketWithoutRuntime(file)).toEqual({ name: 'MpSocketError', message: `mp-socket/${entry}: ${missing}; pass ${pass}`, typed: true })
    })
  }
})

describe('a single-runtime entry given the adapter its error names', () => {
  const cleanups: Array<() => unknown> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  for (const entry of ['wx', 'uni', 'web'] as const) {
    it(`mp-socket/${entry} over web(WebSocket) from ws: logs in and answers requests in Node`, async () => {
      const server = await startServer()
      cleanups.push(() => server.stop())
      const { createSocket } = await import(pathToFileURL(join(ROOT, `dist/${entry}.mjs`)).href)
      const socket = createSocket({ url: server.url, runtime: web(WsWebSocket), login: () => ({ u: 'user:3', token: tokenFor('user:3') }) })
      cleanups.push(() => socket.close())
      socket.connectionLoop()
      await socket.ready()
      expect(await socket.request('echo', { entry })).toEqual({ entry })
    })
  }
})
