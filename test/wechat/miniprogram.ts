// Runs a built native mini-program the way WeChat's base library does, closely enough for an
// SDK test: every file is a CommonJS function of (require, module, exports) in one shared global
// scope that holds only `wx`, `App`, `Page`, `getApp`, timers and `console` (no Node `require`,
// `process` or `Buffer`); `require('pkg/sub')` looks in `miniprogram_npm/pkg/` as build npm
// wrote it, in the requiring file's folder and then in each parent up to the project root.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { createContext, runInContext } from 'node:vm'

type Options = Record<string, unknown> & { data?: Record<string, unknown> }
export interface PageInstance {
  data: Record<string, unknown>
  setData(patch: Record<string, unknown>): void
  [key: string]: unknown
}

export interface MiniProgram {
  /** The app instance (`getApp()`), once `launch()` ran `App({...})`'s `onLaunch`. */
  readonly app: Record<string, unknown>
  /** Timers set by the program's code and not yet fired or cleared. */
  readonly pendingTimers: number
  /** Loads app.js and every page of app.json, then calls `onLaunch`. */
  launch(): void
  /** Creates `path`'s page (a path from app.json) and calls `onLoad(query)`. */
  openPage(path: string, query?: Record<string, string>): PageInstance
  /** Calls the page's `onUnload`. */
  closePage(page: PageInstance): void
}

export function loadMiniProgram(root: string, wx: Record<string, unknown>): MiniProgram {
  let appOptions: Options | undefined
  let app: Record<string, unknown> | undefined
  const pages = new Map<string, Options>()
  let registering = ''
  const timers = new Set<unknown>()
  const sandbox = {
    wx,
    console,
    App: (options: Options) => void (appOptions = options),
    Page: (options: Options) => void pages.set(registering, options),
    getApp: () => app,
    setTimeout(callback: () => void, ms: number) {
      const handle = setTimeout(() => {
        timers.delete(handle)
        callback()
      }, ms)
      timers.add(handle)
      return handle
    },
    clearTimeout(handle: ReturnType<typeof setTimeout>) {
      timers.delete(handle)
      clearTimeout(handle)
    },
  }
  const context = createContext(sandbox)
  const cache = new Map<string, { exports: unknown }>()

  function resolveId(fromDir: string, id: string): string {
    if (id.startsWith('.') || id.startsWith('/')) {
      const path = id.startsWith('/') ? join(root, id) : resolve(fromDir, id)
      for (const candidate of [path, `${path}.js`, join(path, 'index.js')]) {
        if (existsSync(candidate) && candidate.endsWith('.js')) return candidate
      }
    } else {
      for (let dir = fromDir; ; dir = dirname(dir)) {
        const base = join(dir, 'miniprogram_npm', id)
        for (const candidate of [`${base}.js`, join(base, 'index.js')]) if (existsSync(candidate)) return candidate
        if (dir === root || dir === dirname(dir)) break
      }
    }
    throw new Error(`module "${id}" is not defined (required from ${relative(root, fromDir) || '.'})`)
  }

  function load(file: string): unknown {
    const cached = cache.get(file)
    if (cached) return cached.exports
    const module = { exports: {} as unknown }
    cache.set(file, module)
    const code = readFileSync(file, 'utf8')
    const run = runInContext(`(function (require, module, exports) {${code}\n})`, context, { filename: file })
    run((id: string) => load(resolveId(dirname(file), id)), module, module.exports)
    return module.exports
  }

  return {
    get app() {
      if (!app) throw new Error('not launched')
      return app
    },
    get pendingTimers() {
      return timers.size
    },
    launch() {
      load(join(root, 'app.js'))
      if (!appOptions) throw new Error('app.js did not call App()')
      const config = JSON.parse(readFileSync(join(root, 'app.json'), 'utf8')) as { pages: string[] }
      for (const path of config.pages) {
        registering = path
        load(join(root, `${path}.js`))
        if (!pages.has(path)) throw new Error(`${path}.js did not call Page()`)
      }
      app = appOptions
      const onLaunch = app.onLaunch as ((options: unknown) => void) | undefined
      if (onLaunch) onLaunch.call(app, { path: config.pages[0], query: {}, scene: 1001 })
    },
    openPage(path, query = {}) {
      const options = pages.get(path)
      if (!options) throw new Error(`no page ${path}`)
      const page = Object.assign(Object.create(options) as PageInstance, {
        data: { ...options.data },
        setData(patch: Record<string, unknown>) {
          Object.assign(page.data, patch)
        },
      })
      const onLoad = options.onLoad as ((query: unknown) => void) | undefined
      if (onLoad) onLoad.call(page, query)
      return page
    },
    closePage(page) {
      const onUnload = page.onUnload as (() => void) | undefined
      if (onUnload) onUnload.call(page)
    },
  }
}
