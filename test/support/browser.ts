import { build, type BuildOptions } from 'esbuild'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll } from 'vitest'

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export const ROOT = join(__dirname, '../..')
export const ARTIFACTS = join(ROOT, 'test-results/browser')

/** Launches Debian's Chromium headless; a missing browser is an error that says what to install. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH). The browser suites need it.`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    // Background networking off: this machine's closed network refuses those connections.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** Bundles a page script into test-results/browser/<name>.js. */
export async function bundlePage(name: string, entry: string, options: BuildOptions = {}) {
  mkdirSync(ARTIFACTS, { recursive: true })
  const outfile = join(ARTIFACTS, `${name}.js`)
  // Pages bundle the sources as the tests run them: with the development checks on (src/globals.d.ts).
  const define = { __DEV__: 'true', ...options.define }
  await build({ entryPoints: [entry], bundle: true, format: 'iife', target: 'es2020', outfile, logLevel: 'error', ...options, define })
  return outfile
}

/** The options that build a page against the real uni-app H5 runtime (see RUNTIMES.md). */
export function uniH5Options(): BuildOptions {
  const modules = join(ROOT, 'examples/uni-app/node_modules')
  if (!existsSync(join(modules, '@dcloudio/uni-h5'))) {
    throw new Error('examples/uni-app/node_modules is missing: run `npm ci --prefix examples/uni-app` (.ci/run does)')
  }
  return {
    inject: [join(ROOT, 'test/browser/pages/uni-shim.ts')],
    alias: { vue: '@dcloudio/uni-h5-vue' },
    define: { 'process.env.NODE_ENV': '"development"' },
    nodePaths: [modules],
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
}

/** Serves files on 127.0.0.1: `routes` maps paths to files; `root` serves a folder. */
export async function staticServer(options: { routes?: Record<string, string>; root?: string }) {
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent((request.url || '/').split('?')[0])
    let file = options.routes?.[path]
    if (!file && options.root) file = join(options.root, normalize(path === '/' ? '/index.html' : path).replace(/^(\.\.[/\\])+/, ''))
    if (!file || !existsSync(file) || (options.root && !file.startsWith(options.root) && !options.routes?.[path])) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' })
    response.end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export const HARNESS_HTML = '<!doctype html><meta charset="utf-8"><title>harness</title><script src="harness.js"></script>'

/**
 * The options that build a page against Taro's real H5 runtime (@tarojs/taro-h5): the constants
 * a Taro H5 build defines, which the runtime reads.
 */
export function taroH5Options(): BuildOptions {
  return {
    define: {
      'process.env.NODE_ENV': '"development"',
      'process.env.TARO_ENV': '"h5"',
      'process.env.TARO_PLATFORM': '"web"',
      'process.env.FRAMEWORK': '"react"',
      'process.env.TARO_VERSION': JSON.stringify(JSON.parse(readFileSync(join(ROOT, 'node_modules/@tarojs/taro-h5/package.json'), 'utf8')).version),
    },
  }
}

/**
 * A browser suite's set-up: Chromium, harness pages bundled into test-results/browser/<name>.js
 * with an <name>.html that loads them, served on 127.0.0.1, and cleanups run after each test
 * (in reverse order) then everything closed after the suite. Page names must be unique across
 * suites: the suites run in parallel and write the same folder.
 */
export function useHarnessPages(harnesses: Record<string, { entry: string; options?: () => BuildOptions }>) {
  const cleanups: Array<() => unknown> = []
  let browser: Browser | undefined
  let server: Awaited<ReturnType<typeof staticServer>> | undefined

  beforeAll(async () => {
    browser = await launchChromium()
    for (const [name, { entry, options }] of Object.entries(harnesses)) {
      await bundlePage(name, entry, options?.())
      writeFileSync(join(ARTIFACTS, `${name}.html`), `<!doctype html><meta charset="utf-8"><title>${name}</title><script src="/${name}.js"></script>`)
    }
    server = await staticServer({ root: ARTIFACTS })
  }, 60_000)

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  afterAll(async () => {
    await server?.close()
    await browser?.close()
  })

  return {
    /** Runs after the current test, before the next one starts. */
    cleanups,
    /** A fresh browser context (closed after the test) with a page on the harness `name`. */
    async openPage(name: string) {
      if (!browser || !server) throw new Error('useHarnessPages: the suite has not started')
      const context = await browser.newContext()
      cleanups.push(() => context.close())
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(String(error)))
      await page.goto(`${server.url}/${name}.html`)
      return { context, page, errors }
    },
  }
}

/** A promise settled in a page, as page.evaluate can return it. */
export type Settled = { ok: true; body?: unknown } | { ok: false; name: string; code?: number | string; reason?: string }

/** `socket.request()` on the harness page's client (`window.socket`), settled. */
export function requestIn(page: Page) {
  return (event: string, data?: unknown) =>
    page.evaluate(
      ({ event, data }) =>
        window.socket.request(event, data).then(
          (body): Settled => ({ ok: true, body }),
          (error: { name: string; code?: number | string }): Settled => ({ ok: false, name: error.name, code: error.code }),
        ),
      { event, data },
    )
}

/**
 * A page at `url` in a context of its own, closed by `cleanups`; page errors go to `errors`, console
 * lines to `logs`.
 */
export async function openPage(browser: Browser, cleanups: Array<() => unknown>, url: string, errors: string[], logs: string[] = []) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } })
  cleanups.push(() => context.close())
  const page = await context.newPage()
  page.on('pageerror', (error) => errors.push(String(error)))
  page.on('console', (message) => logs.push(message.text()))
  await page.goto(url)
  return page
}
