// Bundle size: each entry bundled with its dependencies by esbuild (minify, ES2015 where the
// library allows it, browser platform), then gzip -9 and brotli. `file` rows are measured as they
// ship: miniprogram_dist/wx.js is what a native WeChat app loads after "build npm" (already
// minified, self-contained CommonJS).
import { build } from 'esbuild'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { ROOT, table } from './lib.mjs'

export const ENTRIES = [
  { name: 'mp-socket/wx', code: `export { createSocket } from '${ROOT}/dist/wx.mjs'`, ours: true },
  { name: 'mp-socket/wx after WeChat build npm', file: 'miniprogram_dist/wx.js', ours: true },
  { name: 'mp-socket/uni', code: `export { createSocket } from '${ROOT}/dist/uni.mjs'`, ours: true },
  { name: 'mp-socket/web', code: `export { createSocket } from '${ROOT}/dist/web.mjs'`, ours: true },
  { name: 'mp-socket (all runtimes)', code: `export * from '${ROOT}/dist/index.mjs'`, ours: true },
  { name: 'socket.io-client', code: `export { io } from 'socket.io-client'` },
  { name: '@hyoga/uni-socket.io', code: `export { default } from '@hyoga/uni-socket.io'` },
  { name: 'graphql-ws', code: `export { createClient } from 'graphql-ws'` },
  { name: 'partysocket', code: `export { WebSocket } from 'partysocket'` },
  { name: 'reconnecting-websocket', code: `export { default } from 'reconnecting-websocket'` },
  { name: 'centrifuge', code: `export { Centrifuge } from 'centrifuge'` },
  { name: 'mqtt', code: `export { default } from 'mqtt'` },
]

async function bundle(code, target) {
  const dir = mkdtempSync(join(tmpdir(), 'mp-size-'))
  const entry = join(dir, 'entry.mjs')
  writeFileSync(entry, code)
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target,
    write: false,
    logLevel: 'silent',
    nodePaths: [join(ROOT, 'node_modules')],
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  })
  return result.outputFiles[0].contents
}

/** `names` (rows of ENTRIES) or every row: min, min+gzip and min+brotli bytes, and a markdown table. */
export async function sizes(names) {
  const rows = []
  for (const entry of ENTRIES.filter((row) => !names || names.includes(row.name))) {
    let bytes
    let target = 'es2015'
    try {
      bytes = entry.file ? readFileSync(join(ROOT, entry.file)) : await bundle(entry.code, target)
    } catch {
      // Some libraries use syntax esbuild cannot lower to ES2015 (e.g. BigInt): measure at ES2020.
      target = 'es2020'
      try {
        bytes = await bundle(entry.code, target)
      } catch (error) {
        rows.push({ ...entry, error: error.message.split('\n').slice(0, 2).join(' ') })
        continue
      }
    }
    rows.push({
      ...entry,
      target,
      min: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    })
  }
  const version = (name) => {
    try {
      return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
    } catch {
      return ''
    }
  }
  const markdown = table(
    ['entry', 'version', 'min', 'min+gzip', 'min+brotli', 'target'],
    rows.map((row) =>
      row.error
        ? [row.name, version(row.name), 'build failed', row.error, '', '']
        : [row.ours ? `**${row.name}**` : row.name, row.ours ? version('..') || 'this repo' : version(row.name), row.min.toLocaleString('en'), row.gzip.toLocaleString('en'), row.brotli.toLocaleString('en'), row.target],
    ),
  )
  return { rows, markdown }
}

/**
 * README.md quotes sizes only inside `<!-- size: ROW -->5.9 KB<!-- /size -->`, ROW a row of ENTRIES,
 * so that `node bench/run.mjs --only=size` rewrites them and test/docs/sizes.test.ts can compare.
 */
export const QUOTED_SIZE = /<!-- size: ([^>]+?) -->([^<]*)<!-- \/size -->/g

/** How README quotes a size: min+gzip in KB of 1,000 B, one decimal. */
export const kilobytes = (bytes) => `${(bytes / 1000).toFixed(1)} KB`

/** `text` with every quoted size set to the min+gzip of its row in `rows`. */
export function quoteSizes(text, rows) {
  return text.replace(QUOTED_SIZE, (quote, name) => {
    const row = rows.find((candidate) => candidate.name === name)
    if (!row || row.error) throw new Error(`README quotes the size of "${name}", which bench/size.mjs did not measure`)
    return `<!-- size: ${name} -->${kilobytes(row.gzip)}<!-- /size -->`
  })
}
