import { copyFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

// The three builds run in parallel, so none of them cleans: `npm run build` empties the folders first.

// Development-only checks (src/globals.d.ts) are compiled out of everything published.
const define = { __DEV__: 'false' }

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
