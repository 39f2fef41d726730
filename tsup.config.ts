import { defineConfig } from 'tsup'

// The three builds run in parallel, so none of them cleans: `npm run build` empties the folders first.

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
  },
  {
    // The reference server (examples/server), for the demo, the end-to-end tests and benchmarks.
    entry: { main: 'examples/server/src/main.ts', index: 'examples/server/src/index.ts' },
    outDir: 'examples/server/dist',
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    // Loaded from node_modules at run time, as a deployed server would.
    external: ['ws', 'redis'],
  },
])
