// npm run bench: every measurement of docs/benchmarks.md, side by side, in one run.
//   node bench/run.mjs [--quick] [--no-write] [--only=size,throughput,fanout,connections,storm,memory]
// --quick shrinks every count (a smoke run: the figures mean nothing); --no-write skips the docs.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, freemem, totalmem } from 'node:os'
import { join } from 'node:path'
import { fanout } from './sections.mjs'
import { ROOT, ms, pinning, runClient, startServer, table } from './lib.mjs'
import { sizes } from './size.mjs'
import { throughput } from './throughput.mjs'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const write = !args.includes('--no-write') && !quick
const only = (args.find((arg) => arg.startsWith('--only=')) || '').slice(7).split(',').filter(Boolean)
const wanted = (name) => only.length === 0 || only.includes(name)
const settings = quick
  ? { requests: 2000, runs: 1, devices: 5, broadcast: 20, rounds: 3, idle: 100, storm: 50, concurrencies: [1, 64] }
  : { requests: 100_000, runs: 5, devices: 100, broadcast: 1000, rounds: 30, idle: 10_000, storm: 1000, concurrencies: [1, 64] }

const sections = []
/** Where docs/benchmarks.md's hand-written part starts: kept as it is when the tables are rewritten. */
const NOTES = '## Findings (written by hand, kept by npm run bench)'
const say = (text) => console.log(text)

if (wanted('size')) {
  say('== size')
  const { markdown } = await sizes()
  sections.push(['Size', 'Each entry bundled with its dependencies by esbuild (`--bundle --minify`, browser platform, ES2015 unless the library needs newer syntax), then gzip -9 and brotli -q 11. `npm test` fails when an entry passes its budget (test/dist/dist.test.ts); what each feature costs is under Findings below.', markdown])
  say(markdown)
}

if (wanted('throughput')) {
  say('== request/reply throughput and latency')
  const { markdown, verdicts } = await throughput(settings)
  sections.push([
    'Request/reply throughput and latency',
    `Each library against its own server in a separate process, ${settings.requests.toLocaleString('en')} requests per run after a warm-up, ${settings.runs} runs, medians; the libraries take turns within each round so that drift in the machine's speed hits all alike. Payload \`{"text":"hello","n":42}\`; the server echoes it. ${pinning}.`,
    `${markdown}\n\n${verdicts.map((v) => `- ${v}`).join('\n')}`,
  ])
  say(markdown)
  say(verdicts.join('\n'))
}

if (wanted('fanout')) {
  say('== push fan-out')
  const markdown = await fanout(settings)
  sections.push(['Push fan-out', `\`POST /push\` to the reference server, timed until the last client's handler ran; ${settings.rounds} rounds. Clients are mp-socket clients in one process. ${pinning}.`, markdown])
  say(markdown)
}

if (wanted('connections')) {
  say('== idle connections')
  const server = await startServer('bench/servers/mp.mjs')
  const result = await runClient('bench/connections-client.mjs', [server.port, server.pid, settings.idle], { timeout: 300_000 })
  await server.stop()
  const perConnection = result.perConnection
  const available = freemem()
  const limit = execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()
  const markdown = table(
    ['idle logged-in sockets', 'server RSS before', 'after', 'per connection', 'estimate for this machine'],
    [[result.connections.toLocaleString('en'), mb(result.before), mb(result.after), `${(perConnection / 1024).toFixed(1)} KB`, `~${Math.floor(available / perConnection).toLocaleString('en')} by free memory (${mb(available)} free); file descriptors: ulimit -n ${limit}`]],
  )
  sections.push(['Connections', 'Raw sockets that log in and stay idle, against one reference server process; memory is the server\'s resident set from /proc.', markdown])
  say(markdown)
}

if (wanted('storm')) {
  say('== reconnect storm')
  const rows = []
  for (const jitter of [0.5, 0]) {
    const result = await runClient('bench/storm-client.mjs', [settings.storm, jitter], { timeout: 300_000 })
    rows.push([result.count.toLocaleString('en'), jitter, ms(result.first), ms(result.p50), ms(result.p99), ms(result.allOnline)])
  }
  const markdown = table(['clients', 'jitter', 'first online (ms)', 'p50', 'p99', 'all online'], rows)
  sections.push(['Reconnect storm', 'The clients are online; the server is killed and started again on the same port at once. Times from the restart until each client is logged in again (`minDelay` 1 s): without jitter every client retries in the same instant.', markdown])
  say(markdown)
}

if (wanted('memory')) {
  say('== client memory')
  const server = await startServer('bench/servers/mp.mjs')
  const result = await runClient('bench/memory-client.mjs', [server.port], { nodeArgs: ['--expose-gc'], timeout: 300_000 })
  await server.stop()
  const markdown = table(
    ['after warm-up', 'after +100k requests', 'after +200k requests', 'growth per request'],
    [[mb(result.start), mb(result.at100k), mb(result.at200k), `${result.perRequest.toFixed(3)} bytes`]],
  )
  sections.push(['Client memory', 'Heap used by one mp-socket client (64 requests in flight) after `gc()`, measured with `node --expose-gc`. A pending entry left behind by each request (its promise callbacks, timer and frame: a few hundred bytes) would show as that much growth per request; it stays at about zero, so the pending map empties as requests settle.', markdown])
  say(markdown)
}

function mb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

if (write) {
  const version = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
  const machine = `${cpus().length} × ${cpus()[0].model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`
  const doc = [
    '# Benchmarks',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}, with \`npm run bench\` (\`node bench/run.mjs\`); see [bench/README.md](../bench/README.md) to reproduce.`,
    `Versions: ws ${version('ws')}, socket.io ${version('socket.io')}, socket.io-client ${version('socket.io-client')}. CPU placement: ${pinning}.`,
    'The machine is shared and noisy: runs of the same thing differ by 10-20 %; read ratios from one run, not figures across runs.',
    '',
    ...sections.flatMap(([title, text, markdown]) => [`## ${title}`, '', text, '', markdown, '']),
  ].join('\n')
  // Hand-written findings (what each change bought, what each feature costs) outlive the re-run.
  const previous = readFileSync(join(ROOT, 'docs/benchmarks.md'), 'utf8')
  const notes = previous.indexOf(NOTES)
  writeFileSync(join(ROOT, 'docs/benchmarks.md'), notes < 0 ? doc : `${doc}\n${previous.slice(notes)}`)
  say('wrote docs/benchmarks.md')
}
process.exit(0)
