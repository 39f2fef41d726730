import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { signToken } from '../../examples/server/src/token'
import { ARTIFACTS, ROOT, launchChromium, staticServer } from '../support/browser'
import { SECRET, eventually, startServerProcess } from '../support/processes'

let browser: Browser
const cleanups: Array<() => unknown> = []

beforeAll(async () => {
  browser = await launchChromium()
  mkdirSync(ARTIFACTS, { recursive: true })
})
afterAll(async () => {
  await browser?.close()
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('a uni-app app as users write it (examples/uni-app), built by uni-app for H5', () => {
  const app = join(ROOT, 'examples/uni-app')

  beforeAll(() => {
    if (!existsSync(join(app, 'node_modules/.bin/uni'))) {
      throw new Error('examples/uni-app has no node_modules: run `npm ci --prefix examples/uni-app` (.ci/run does)')
    }
    // uni-app's own toolchain: vite + @dcloudio/vite-plugin-uni, with its H5 API tree-shaking on.
    const result = spawnSync(join(app, 'node_modules/.bin/uni'), ['build'], { cwd: app, encoding: 'utf8', env: { ...process.env, UNI_PLATFORM: 'h5' } })
    if (result.status !== 0) throw new Error(`uni build failed:\n${result.stdout}\n${result.stderr}`)
  }, 120_000)

  it('connects from App.vue onLaunch, shows a tab badge, and a chat page handles pushes only while it is open', async () => {
    const srv = await startServerProcess()
    cleanups.push(() => srv.kill())
    const site = await staticServer({ root: join(app, 'dist/build/h5') })
    cleanups.push(() => site.close())
    const context = await browser.newContext()
    cleanups.push(() => context.close())
    const page = await context.newPage()
    const logs: string[] = []
    const errors: string[] = []
    page.on('console', (message) => logs.push(message.text()))
    page.on('pageerror', (error) => errors.push(String(error)))

    await page.goto(`${site.url}/?ws=${encodeURIComponent(srv.url)}#/`)
    await page.waitForSelector('.status-value')
    // Nobody logged in yet: App.vue's login() returns nothing, so no socket.
    expect(await srv.push({ event: 'x', msg: 1, to: 'user:21' })).toEqual({ delivered: 0 })
    await page.fill('.user input', 'user:21')
    await page.fill('.token input', signToken(SECRET, 'user:21'))
    await page.click('.login')
    await page.waitForFunction(() => document.querySelector('.status-value')?.textContent === 'online')
    await page.click('.echo')
    await page.waitForFunction(() => document.querySelector('.reply')?.textContent === 'hello from uni-app')

    // App-level push from the seed app: a badge on the "Me" tab.
    expect(await srv.push({ event: 'user_tabbar', msg: '1', to: 'user:21' })).toEqual({ delivered: 1 })
    await page.waitForSelector('.uni-tabbar__badge')

    // The chat page: on() in onLoad, uninstall() in onUnload.
    await page.click('.open-chat')
    await page.waitForSelector('.title')
    await srv.push({ event: 'chat7', msg: 'while open', to: 'user:21' })
    await page.waitForFunction(() => [...document.querySelectorAll('.line')].some((line) => line.textContent === 'while open'))
    await page.click('.back')
    await page.waitForSelector('.open-chat')
    await srv.push({ event: 'chat7', msg: 'after leaving', to: 'user:21' })
    await srv.push({ event: 'user_tabbar', msg: '1', to: 'user:21' })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const handled = logs.filter((line) => line.startsWith('chat page got'))
    expect(handled).toEqual(['chat page got while open'])
    await page.screenshot({ path: join(ARTIFACTS, 'uni-app-h5.png') })
    expect(errors).toEqual([])
  })
})

describe('the uni_modules package (HBuilderX users), imported by a uni-app app built by uni-app', () => {
  const app = join(ROOT, 'examples/uni-app')
  let copy: string

  beforeAll(async () => {
    // The example as an HBuilderX user has it: the SDK in src/uni_modules/, imported by path, no npm.
    copy = mkdtempSync(join(tmpdir(), 'mp-uni-modules-'))
    cpSync(join(app, 'src'), join(copy, 'src'), { recursive: true })
    for (const file of ['index.html', 'vite.config.js', 'package.json']) cpSync(join(app, file), join(copy, file))
    // Every package of the example but mp-socket itself: an import of the npm package would fail.
    mkdirSync(join(copy, 'node_modules'))
    for (const name of readdirSync(join(app, 'node_modules'))) {
      if (name !== 'mp-socket') symlinkSync(join(app, 'node_modules', name), join(copy, 'node_modules', name))
    }
    const { generate } = await import(join(ROOT, 'scripts/uni-modules.mjs'))
    generate(join(copy, 'src/uni_modules'))
    const appVue = join(copy, 'src/App.vue')
    const source = readFileSync(appVue, 'utf8')
    const imported = source.replace("from 'mp-socket'", "from '@/uni_modules/mp-socket/js_sdk/index.js'")
    expect(imported).not.toBe(source)
    writeFileSync(appVue, imported)
    const result = spawnSync(join(app, 'node_modules/.bin/uni'), ['build'], { cwd: copy, encoding: 'utf8', env: { ...process.env, UNI_PLATFORM: 'h5' } })
    if (result.status !== 0) throw new Error(`uni build failed:\n${result.stdout}\n${result.stderr}`)
  }, 120_000)
  afterAll(() => rmSync(copy, { recursive: true, force: true }))

  it('logs in and gets a reply and a push through js_sdk/index.js', async () => {
    const srv = await startServerProcess()
    cleanups.push(() => srv.kill())
    const site = await staticServer({ root: join(copy, 'dist/build/h5') })
    cleanups.push(() => site.close())
    const context = await browser.newContext()
    cleanups.push(() => context.close())
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(String(error)))
    await page.goto(`${site.url}/?ws=${encodeURIComponent(srv.url)}#/`)
    await page.fill('.user input', 'user:22')
    await page.fill('.token input', signToken(SECRET, 'user:22'))
    await page.click('.login')
    await page.waitForFunction(() => document.querySelector('.status-value')?.textContent === 'online')
    await page.click('.echo')
    await page.waitForFunction(() => document.querySelector('.reply')?.textContent === 'hello from uni-app')
    expect(await srv.push({ event: 'user_tabbar', msg: '1', to: 'user:22' })).toEqual({ delivered: 1 })
    await page.waitForSelector('.uni-tabbar__badge')
    expect(errors).toEqual([])
  })
})

describe('the demo page', () => {
  it('shows a pushed message live (screenshot saved in test-results/browser/demo.png)', async () => {
    const demo: ChildProcess = spawn(process.execPath, [join(ROOT, 'examples/demo/run.mjs')], {
      env: { ...process.env, PORT: '0', DEMO_MINUTES: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    cleanups.push(() => demo.kill('SIGKILL'))
    let output = ''
    demo.stdout!.on('data', (chunk) => (output += chunk))
    demo.stderr!.on('data', (chunk) => (output += chunk))
    const url = await eventually(() => {
      const match = output.match(/open (http:\/\/127\.0\.0\.1:\d+\/)/)
      if (!match) throw new Error(`demo did not start:\n${output}`)
      return match[1]
    })
    const page = await browser.newPage({ viewport: { width: 1100, height: 640 } })
    cleanups.push(() => page.close())
    await page.goto(url)
    await page.fill('#user', 'user:5')
    await page.click('#login')
    await page.waitForSelector('#status[data-status=online]')
    await page.fill('#to', 'user:5')
    await page.fill('#msg', 'pushed from the test')
    await page.click('#push')
    await page.waitForFunction(() => document.querySelector('#pushes')?.textContent?.includes('pushed from the test'))
    await page.click('#drop')
    await page.waitForFunction(() => document.querySelector('#statuses')?.textContent?.includes('1012'))
    await page.waitForSelector('#status[data-status=online]')
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png') })
    expect(await page.textContent('#pushes')).toContain('chat: "pushed from the test"')
  })
})
