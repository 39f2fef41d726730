// WeChat's own "build npm" on examples/wechat-native with the package as published: pack the
// library, install the tarball into a copy of the example, run miniprogram-ci's packNpmManually
// (the build DevTools runs), then run the built app.js and page under a test `wx` against the
// reference server.
import { parse } from 'acorn'
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { signToken } from '../../examples/server/src/token'
import { createTestRuntime } from '../../src/testing'
import { pack, ROOT, type Packed } from '../support/pack'
import { SECRET, startServerProcess } from '../support/processes'
import { loadMiniProgram } from './miniprogram'

const CI_PACKAGE = join(__dirname, 'node_modules/miniprogram-ci')

interface MiniprogramCi {
  packNpmManually(options: { packageJsonPath: string; miniprogramNpmDistDir: string }): Promise<unknown>
}

let packed: Packed
let project: string
const cleanups: Array<() => unknown> = []

beforeAll(async () => {
  if (!existsSync(CI_PACKAGE)) {
    throw new Error('test/wechat has no node_modules: run `npm ci --prefix test/wechat` (.ci/run does)')
  }
  packed = pack()
  cleanups.push(() => packed.remove())
  project = mkdtempSync(join(tmpdir(), 'mp-socket-wechat-'))
  cleanups.push(() => rmSync(project, { recursive: true, force: true }))
  cpSync(join(ROOT, 'examples/wechat-native'), project, {
    recursive: true,
    filter: (source) => !/node_modules|miniprogram_npm/.test(source),
  })
  // As a user does: `npm install` (here: of the tarball, not of the registry's copy).
  execFileSync('npm', ['install', packed.tarball, '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts'], {
    cwd: project,
    stdio: 'ignore',
  })
  const ci = createRequire(__filename)(CI_PACKAGE) as MiniprogramCi
  await ci.packNpmManually({ packageJsonPath: join(project, 'package.json'), miniprogramNpmDistDir: project })
}, 300_000)

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

describe("WeChat's build npm (miniprogram-ci) on examples/wechat-native", () => {
  it('copies miniprogram_dist as it is: CommonJS that parses at ES2018, no maps, no declarations', () => {
    const built = join(project, 'miniprogram_npm/mp-socket')
    expect(readdirSync(built).sort()).toEqual(['index.js', 'uni.js', 'wx.js'])
    for (const file of readdirSync(built)) {
      const code = readFileSync(join(built, file), 'utf8')
      // WeChat's npm build and its runtime parse with acorn at ES2018.
      expect(() => parse(code, { ecmaVersion: 2018, sourceType: 'script' }), file).not.toThrow()
      expect(code.match(/\brequire\(["'][^"']+["']\)/g), `${file} requires nothing`).toBeNull()
      expect(code, file).toBe(readFileSync(join(packed.dir, 'miniprogram_dist', file), 'utf8'))
    }
  })

  it('runs app.js and the page as the README says: login, a reply, a push on the page, close() leaves nothing', async () => {
    const server = await startServerProcess()
    cleanups.push(() => server.kill())
    writeFileSync(join(project, 'config.js'), `module.exports = { socketUrl: ${JSON.stringify(server.url)} }\n`)

    const runtime = createTestRuntime({ flavour: 'wx', WebSocket })
    const storage = new Map<string, unknown>([['socketLogin', { u: 'user:31', token: signToken(SECRET, 'user:31') }]])
    const wx = { ...runtime.api, getStorageSync: (key: string) => storage.get(key) ?? '' }
    const program = loadMiniProgram(project, wx)
    program.launch()
    const socket = program.app.socket as {
      ready(): Promise<void>
      request(event: string, data: unknown): Promise<unknown>
      status: string
      close(): void
    }
    cleanups.push(() => socket.close())
    await socket.ready()
    expect(socket.status).toBe('online')

    const page = program.openPage('pages/order/order')
    // A request and its reply, through the page's own handler.
    ;(page.ask as () => void).call(page)
    await expect.poll(() => page.data.reply).toBe('hello from WeChat')

    // A push from the backend (POST /push) reaches the page while it is open...
    expect(await server.push({ event: 'order_update', msg: 'shipped', to: 'user:31' })).toEqual({ delivered: 1 })
    await expect.poll(() => page.data.order).toBe('shipped')
    program.closePage(page)
    // ...and not after onUnload.
    await server.push({ event: 'order_update', msg: 'delivered', to: 'user:31' })
    // A reply written after the push arrives after it on the same socket.
    expect(await socket.request('echo', 'after the push')).toBe('after the push')
    expect(page.data.order).toBe('shipped')

    socket.close()
    expect(socket.status).toBe('closed')
    expect(program.pendingTimers).toBe(0)
    expect(runtime.listenerCount).toBe(0)
    await expect.poll(() => runtime.openTasks.length).toBe(0)
  })
})
