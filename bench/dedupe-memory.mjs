// Memory per request the in-memory dedupe window remembers: the reference server's window
// (examples/server/src/dedupe-window.ts, bundled here by esbuild) filled in a process of its own
// under --expose-gc, the JS heap and the arrays' memory (ArrayBuffers) after GC, before and after.
//   node --expose-gc bench/dedupe-memory.mjs <bundle> <entries> <per user> [inserts]
// prints one JSON line; `dedupeMemory` runs it for the section. With `time` for <entries>, the
// window's CPU time per request instead: what the server does for each new request in memory
// (look it up, then keep its reply), for <inserts> fresh ids of one user at its <per user> bound,
// 5 rounds, the median in ns (`dedupeTime`).
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ROOT } from './lib.mjs'

/** The window's module bundled into a temporary file, for processes of their own to import. */
async function bundleWindow() {
  const bundle = join(mkdtempSync(join(tmpdir(), 'mp-dedupe-')), 'dedupe-window.mjs')
  await build({ entryPoints: [join(ROOT, 'examples/server/src/dedupe-window.ts')], bundle: true, format: 'esm', platform: 'node', outfile: bundle, logLevel: 'silent' })
  return bundle
}

/** Bytes per entry at `entries` entries, users of `perUser` each, after `inserts` requests (churn makes holes). */
export async function dedupeMemory(cases) {
  const bundle = await bundleWindow()
  return cases.map(({ entries, perUser, inserts }) =>
    JSON.parse(execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), bundle, entries, perUser, inserts], { encoding: 'utf8' })),
  )
}

/** ns of CPU per request the window costs the server (lookup and keep), for one user at `perUser`. */
export async function dedupeTime({ perUser, calls }) {
  const bundle = await bundleWindow()
  return JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), bundle, 'time', perUser, calls], { encoding: 'utf8' }))
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[3] === 'time') {
  const [bundle, , perUserArg, callsArg] = process.argv.slice(2)
  const { DedupeWindow } = await import(pathToFileURL(bundle).href)
  const perUser = Number(perUserArg)
  const calls = Number(callsArg)
  const window = new DedupeWindow({ window: 60_000, entries: 100_000, perUser })
  const reply = '{"error":0,"body":{"text":"hello","n":42}}'
  let counter = 60466176
  const rounds = []
  for (let round = 0; round < 6; round++) {
    const started = process.cpuUsage()
    for (let i = 0; i < calls; i++) {
      const id = `V1StGX${(counter++).toString(36)}`
      if (!window.get('user:bench', id)) window.keep('user:bench', id, reply)
    }
    const used = process.cpuUsage(started)
    // The first round warms the JIT up and fills the user to its bound.
    if (round > 0) rounds.push(((used.user + used.system) * 1000) / calls)
  }
  rounds.sort((a, b) => a - b)
  console.log(JSON.stringify({ perUser, calls, nsPerRequest: Math.round(rounds[2]), rounds: rounds.map(Math.round) }))
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [bundle, entriesArg, perUserArg, insertsArg] = process.argv.slice(2)
  const { DedupeWindow } = await import(pathToFileURL(bundle).href)
  const entries = Number(entriesArg)
  const perUser = Number(perUserArg)
  const inserts = Number(insertsArg)
  // What the SDK sends: a 6-character client prefix and a base-36 counter (12 characters), and a short reply.
  const reply = '{"error":0,"body":"ok"}'
  const used = () => {
    globalThis.gc()
    globalThis.gc()
    const memory = process.memoryUsage()
    return memory.heapUsed + memory.arrayBuffers
  }
  const window = new DedupeWindow({ window: 3_600_000, entries, perUser })
  const before = used()
  const users = Math.ceil(entries / perUser)
  for (let i = 0; i < inserts; i++) window.keep(`user:${i % users}`, `k7Qx2a${(2 ** 31 + i).toString(36)}`, reply)
  const after = used()
  console.log(JSON.stringify({ entries, perUser, inserts, remembered: window.size, bytesPerEntry: Math.round((after - before) / window.size) }))
}
