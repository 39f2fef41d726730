import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    wx: 'src/entries/wx.ts',
    uni: 'src/entries/uni.ts',
    web: 'src/entries/web.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // Mini-program runtimes and WeChat's npm build: ES2015 output, one self-contained file per
  // entry and format, with eventemitter3 and nanoid bundled in.
  target: 'es2015',
  splitting: false,
  noExternal: ['eventemitter3', 'nanoid'],
  minify: false,
  clean: true,
  sourcemap: false,
})
