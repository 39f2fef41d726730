import { copyFileSync, readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'
import type { BuildOptions, Plugin } from 'esbuild'

// The three builds run in parallel, so none of them cleans: `npm run build` empties the folders first.

// Development-only checks (src/globals.d.ts) are compiled out of everything published.
const define = { __DEV__: 'false' }

// eventemitter3 is one CommonJS file that ends by assigning `module.exports`. Bundled as it is,
// esbuild wraps it in its `__commonJS` helper (a closure, its path as a key, and the lookup), about
// 35 bytes min+gzip of every entry; read as an ES module with a default export, it is inlined like
// our own code. A release that ends otherwise fails the build here rather than bundle it wrongly.
const EXPORTS = /if \('undefined' !== typeof module\) \{\s*module\.exports = EventEmitter;\s*\}\s*$/
const eventEmitterAsModule: Plugin = {
  name: 'eventemitter3-as-module',
  setup(build) {
    build.onLoad({ filter: /[\\/]eventemitter3[\\/]index\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8')
      if (!EXPORTS.test(source)) throw new Error(`${path} no longer ends with \`module.exports = EventEmitter\`: see tsup.config.ts`)
      return { contents: source.replace(EXPORTS, 'export default EventEmitter\n'), loader: 'js' }
    })
  },
}

// The fields of the SDK's internal objects end with `_` (a request in the pool, an attempt, the
// connection's machine: src/pool.ts, src/states.ts, src/connection.ts): no runtime API and no
// public type uses that spelling, so esbuild renames them to short names, as it does local
// variables (test/dist checks that none ships, in code or types). `[^_]_$` leaves `__proto__` alone.
const esbuildOptions = (options: BuildOptions) => {
  options.mangleProps = /[^_]_$/
}

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      wx: 'src/entries/wx.ts',
      uni: 'src/entries/uni.ts',
      web: 'src/entries/web.ts',
      testing: 'src/testing.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    // Mini-program runtimes and WeChat's npm build: ES2015 output, one self-contained file per
    // entry and format, with eventemitter3 and nanoid bundled in.
    target: 'es2015',
    splitting: false,
    noExternal: ['eventemitter3', 'nanoid'],
    esbuildPlugins: [eventEmitterAsModule],
    esbuildOptions,
    define,
  },
  {
    // What WeChat's "build npm" copies into a native mini-program (package.json `miniprogram`): it
    // copies this folder as-is and `require('mp-socket/wx')` loads `wx.js` from it. Everything here
    // lands in the user's package, so: self-contained CommonJS, minified, no maps, no declarations.
    entry: { index: 'src/index.ts', wx: 'src/entries/wx-commonjs.ts', uni: 'src/entries/uni.ts' },
    outDir: 'miniprogram_dist',
    format: ['cjs'],
    target: 'es2015',
    minify: true,
    splitting: false,
    outExtension: () => ({ js: '.js' }),
    noExternal: ['eventemitter3', 'nanoid'],
    esbuildPlugins: [eventEmitterAsModule],
    esbuildOptions,
    define,
  },
  {
    // A <script> build for pages without a bundler (and the demo): `MpSocket.createSocket(...)`.
    entry: { 'mp-socket.global': 'src/entries/web.ts' },
    format: ['iife'],
    globalName: 'MpSocket',
    target: 'es2015',
    minify: true,
    outExtension: () => ({ js: '.js' }),
    noExternal: ['eventemitter3', 'nanoid'],
    esbuildPlugins: [eventEmitterAsModule],
    esbuildOptions,
    define,
    // The global's declaration refers to `./web` (dist/web.d.ts), so it is copied, not bundled.
    onSuccess: async () => copyFileSync('src/entries/global.d.ts', 'dist/mp-socket.global.d.ts'),
  },
  {
    // The reference server (examples/server), for the demo, the end-to-end tests and benchmarks.
    entry: { main: 'examples/server/src/main.ts', index: 'examples/server/src/index.ts' },
    outDir: 'examples/server/dist',
    format: ['esm'],
    // `index.d.mts` for users of `mp-socket-server` in TypeScript (package.json `types`).
    dts: { entry: { index: 'examples/server/src/index.ts' }, compilerOptions: { types: ['node'] } },
    platform: 'node',
    target: 'node20',
    // Loaded from node_modules at run time, as a deployed server would.
    external: ['ws', 'redis', 'cluster-key-slot'],
  },
])
