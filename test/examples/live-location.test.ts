import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createTestRuntime } from '../../src/testing'
import { ARTIFACTS, ROOT, launchChromium } from '../support/browser'
import { eventually, startCommand, startProxy, startRedis } from '../support/processes'
import { loadMiniProgram } from '../wechat/miniprogram'

// examples/live-location: a courier's native WeChat mini-program reports positions, backends
// publish their own payloads on their own Redis channels (seed 000's PHP, seed 003's Django), and
// the dispatch dashboard in Chromium follows the channel `fleet`, recovering what it missed.
const example = join(ROOT, 'examples/live-location')
const PYTHON = '/usr/bin/python3'

let browser: Browser
const cleanups: Array<() => unknown> = []
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The README command, on a Redis of the test's own; resolves with the dashboard's address. */
function startExample(redisUrl: string) {
  return startCommand({
    command: process.execPath,
    args: [join(example, 'run.mjs')],
    env: { REDIS_URL: redisUrl, PORT: '0', COURIERS: '0', MINUTES: '3', QUIET: '1' },
    cleanups,
    started(output) {
      const match = output.match(/open (http:\/\/127\.0\.0\.1:(\d+))\//)
      return match ? { http: match[1], port: Number(match[2]) } : undefined
    },
  })
}

/** Runs the backend's publisher; resolves with the payload it published. */
function publish(...args: string[]) {
  const run = spawnSync(PYTHON, [join(example, 'backend/publish.py'), ...args], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`publish.py failed (${run.status}): ${run.stderr}\n(apt-get install -y python3-redis)`)
  return JSON.parse(run.stdout) as { channel: string; payload: Record<string, unknown>; receivers: number }
}

/** The courier's mini-program as WeChat's "build npm" leaves it, run with a fake GPS. */
function startCourier(socketUrl: string, login: { u: string; token: string }) {
  const project = mkdtempSync(join(tmpdir(), 'courier-'))
  cleanups.push(() => rmSync(project, { recursive: true, force: true }))
  cpSync(join(example, 'courier'), project, { recursive: true })
  // What "Tools → Build npm" does with the package's `miniprogram` field: copies the folder as is.
  cpSync(join(ROOT, 'miniprogram_dist'), join(project, 'miniprogram_npm/mp-socket'), { recursive: true })
  writeFileSync(join(project, 'config.js'), `module.exports = { socketUrl: ${JSON.stringify(socketUrl)} }\n`)
  const runtime = createTestRuntime({ flavour: 'wx', WebSocket })
  const gps = new Set<(location: { latitude: number; longitude: number }) => void>()
  const wx = {
    ...runtime.api,
    getStorageSync: (key: string) => (key === 'socketLogin' ? login : ''),
    startLocationUpdateBackground: (options: { success?: () => void }) => options.success?.(),
    stopLocationUpdate: () => {},
    onLocationChange: (listener: (location: { latitude: number; longitude: number }) => void) => void gps.add(listener),
    offLocationChange: (listener: (location: { latitude: number; longitude: number }) => void) => void gps.delete(listener),
  }
  const program = loadMiniProgram(project, wx)
  program.launch()
  const page = program.openPage('pages/track/track')
  cleanups.push(() => {
    program.closePage(page)
    ;(program.app.socket as { close(): void }).close()
  })
  return {
    app: program.app,
    page,
    gps,
    move: (latitude: number, longitude: number) => gps.forEach((listener) => listener({ latitude, longitude })),
  }
}

describe('examples/live-location', () => {
  it('draws couriers from the mini-program and from both backends, and recovers what it missed while offline', async () => {
    const redis = await startRedis()
    cleanups.push(() => redis.stop())
    const { http, port } = await startExample(redis.url)
    const gate = await startProxy(port)
    cleanups.push(() => gate.close())

    const context = await browser.newContext({ viewport: { width: 1100, height: 650 } })
    cleanups.push(() => context.close())
    const dashboard = await context.newPage()
    const errors: string[] = []
    dashboard.on('pageerror', (error) => errors.push(String(error)))
    // The dashboard's socket goes through the gate, so the test can take it offline.
    await dashboard.goto(`${http}/?operator=operator:dispatch&ws=${encodeURIComponent(gate.url)}`)
    await dashboard.waitForSelector('#status[data-status=online]')
    await dashboard.waitForFunction(() => window.fleet.subscribed.length === 1 && window.fleet.reloads === 1)
    const fleet = () => dashboard.evaluate(() => ({ ...window.fleet, tracks: undefined }))

    const courierLogin = (await (await fetch(`${http}/token?u=courier:7`)).json()) as { u: string; token: string }
    const courier = startCourier(`ws://127.0.0.1:${port}/ws`, courierLogin)
    expect(courier.gps.size).toBe(1)
    await eventually(() => expect(courier.page.data.status).toBe('online'))
    courier.move(31.2301, 121.4701)
    await eventually(() => expect(courier.page.data.sent).toBe(1))
    await dashboard.waitForSelector('[data-id="courier:7"][data-points="1"]')
    // The courier's app follows `couriers`: online on the dashboard, from the channel's presence.
    await dashboard.waitForSelector('#online [data-id="courier:7"]')
    expect(await dashboard.textContent('#online-count')).toBe('1')

    // The backends' own payloads on their own channels, unchanged all the way to the page.
    const php = publish(redis.url, 'tracking', '42', '31.2315', '121.4725')
    expect(php).toMatchObject({ channel: 'tracking_updates', receivers: 1 })
    const django = publish(redis.url, 'dlchannel', '10', 'test_driver1', '31.2290', '121.4690')
    expect(django).toMatchObject({ channel: 'dlchannel', receivers: 1 })
    await dashboard.waitForSelector('[data-id="driver:10"][data-points="1"]')
    const before = await fleet()
    expect(before.received.slice(1)).toEqual([php.payload, django.payload])
    expect(before.received[0]).toMatchObject({ user_id: '7', lat: 31.2301, lng: 121.4701 })
    expect(await dashboard.textContent('[data-id="driver:10"]')).toContain('test_driver1')

    // The dashboard loses its connection; the fleet keeps moving.
    gate.shut()
    await dashboard.waitForFunction(() => document.querySelector('#status')?.getAttribute('data-status') !== 'online')
    courier.move(31.2305, 121.4705)
    courier.move(31.2309, 121.4709)
    await eventually(() => expect(courier.page.data.sent).toBe(3))
    const missed = publish(redis.url, 'tracking', '42', '31.2320', '121.4730')
    expect(missed.receivers).toBe(1)
    expect((await fleet()).received).toHaveLength(3)

    // Back: the subscription is restored from its position and the three missed points arrive, in
    // order, once; no reload from GET /fleet was needed.
    gate.open()
    await dashboard.waitForFunction(() => window.fleet.subscribed.length === 2, undefined, { timeout: 20_000 })
    await dashboard.waitForSelector('[data-id="courier:7"][data-points="3"]')
    await dashboard.waitForSelector('[data-id="courier:42"][data-points="2"]')
    const after = await fleet()
    expect(after.subscribed).toEqual([false, true])
    expect(after.reloads).toBe(1)
    expect(after.received.slice(3)).toEqual([
      expect.objectContaining({ user_id: '7', lat: 31.2305, lng: 121.4705 }),
      expect.objectContaining({ user_id: '7', lat: 31.2309, lng: 121.4709 }),
      missed.payload,
    ])
    // Asked again after the reconnect: still online. Then the app closes: offline.
    expect(await dashboard.textContent('#online')).toBe('courier:7')
    await dashboard.screenshot({ path: join(ARTIFACTS, 'live-location.png') })
    ;(courier.app.socket as { close(): void }).close()
    await dashboard.waitForFunction(() => document.querySelector('#online-count')?.textContent === '0')
    expect(errors).toEqual([])
  }, 90_000)

  it('only operators may follow the fleet: a courier subscribing is refused with 403', async () => {
    const redis = await startRedis()
    cleanups.push(() => redis.stop())
    const { http, port } = await startExample(redis.url)
    const { createSocket, web } = await import('mp-socket')
    const login = (await (await fetch(`${http}/token?u=courier:8`)).json()) as { u: string; token: string }
    const socket = createSocket({ url: `ws://127.0.0.1:${port}/ws`, runtime: web(WebSocket), login: () => login })
    cleanups.push(() => socket.close())
    const sub = socket.subscribe('fleet')
    socket.connectionLoop()
    await expect(sub.ready()).rejects.toMatchObject({ name: 'ServerError', code: 403 })
    await expect(socket.request('location', { lat: 'north', lng: 1 })).rejects.toMatchObject({ code: 400 })
  })
})

declare global {
  interface Window {
    fleet: { received: Array<Record<string, unknown>>; subscribed: boolean[]; reloads: number; tracks: unknown }
  }
}
