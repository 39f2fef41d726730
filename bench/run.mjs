// npm run bench: every measurement of docs/benchmarks.md, side by side, in one run.
//   node bench/run.mjs [--quick] [--no-write] [--requests=N] [--runs=N] [--only=size,throughput,dedupe,faults,fanout,connections,storm,memory,recovery,channels,history,scale,cluster]
// --quick shrinks every count (a smoke run: the figures mean nothing); --no-write skips the docs
// (docs/benchmarks.md, README.md's quoted sizes when the size section runs, docs/scaling.md's
// figures when the scale section runs).
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, freemem, totalmem } from 'node:os'
import { join } from 'node:path'
import { channelsSection, historySection, recoverySection } from './cluster-sections.mjs'
import { startRedis } from './cluster.mjs'
import { startRedisCluster } from './redis-cluster.mjs'
import { redisClusterSection } from './redis-cluster-section.mjs'
import { dedupeMemory, dedupeTime } from './dedupe-memory.mjs'
import { dedupeSection } from './dedupe.mjs'
import { faultsSection } from './faults.mjs'
import { fanout } from './sections.mjs'
import { ROOT, ms, pinning, runClient, startServer, table } from './lib.mjs'
import { scaleSection, writeScaling } from './scale.mjs'
import { quoteSizes, sizes } from './size.mjs'
import { throughput } from './throughput.mjs'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const write = !args.includes('--no-write') && !quick
const only = (args.find((arg) => arg.startsWith('--only=')) || '').slice(7).split(',').filter(Boolean)
const wanted = (name) => only.length === 0 || only.includes(name)
// --requests=N and --runs=N override the request/reply sections' counts (a machine too busy for 100,000 x 5).
const override = (name) => Number((args.find((arg) => arg.startsWith(`--${name}=`)) || '').slice(name.length + 3)) || undefined
const settings = quick
  ? { requests: 2000, runs: 1, devices: 5, broadcast: 20, rounds: 3, idle: 100, storm: 50, concurrencies: [1, 64], faultClients: 5, faultRequests: 20, faultCutEvery: 100, faultRuns: 1, ...clusterSettings(true) }
  : { requests: 100_000, runs: 5, devices: 100, broadcast: 1000, rounds: 30, idle: 10_000, storm: 1000, concurrencies: [1, 64], faultClients: 20, faultRequests: 300, faultCutEvery: 1000, faultRuns: 3, ...clusterSettings(false) }
for (const name of ['requests', 'runs']) settings[name] = override(name) ?? settings[name]

/** Counts of the multi-node sections (recovery, channels, history). */
function clusterSettings(quick) {
  return quick
    ? { stormClients: 30, stormProcesses: 2, stormRuns: 1, stormWarmup: 300, stormBaseline: 500, stormTail: 300, stormDrain: 1000, subscribers: 40, fanProcesses: 4, fanRounds: 3, fanWarmup: 1, fanRuns: 1, fanSettle: 300, historyMessages: 50, historyRuns: 1 }
    : { stormClients: 1000, stormProcesses: 2, stormRuns: 3, stormWarmup: 2000, stormBaseline: 2000, stormTail: 1000, stormDrain: 2000, subscribers: 10_000, fanProcesses: 4, fanRounds: 30, fanWarmup: 3, fanRuns: 3, fanSettle: 2000, historyMessages: 3000, historyRuns: 3 }
}

/** Counts of the scale section: the sockets one node holds, and the units its Redis costs are divided by. */
function scaleSettings(quick) {
  return quick
    ? { sockets: 200, processes: 2, batch: 50, settle: 300, idleWindow: 300, rounds: 2, warmup: 1, gap: 50, runs: 1, unitUsers: 20, unitPublications: 5, unitRefreshWindow: 2000, unitFullStreams: 2 }
    : { sockets: 20_000, processes: 4, batch: 100, settle: 3000, idleWindow: 5000, rounds: 20, warmup: 3, gap: 300, runs: 3, unitUsers: 1000, unitPublications: 100, unitRefreshWindow: 5000, unitFullStreams: 50 }
}

const sections = []
/** The size rows, when measured: README's quoted sizes are rewritten from them. */
let sizeRows
/** The scale section's figures, when measured: docs/scaling.md is rewritten from them. */
let scaleFigures
/** Where docs/benchmarks.md's hand-written part starts: kept as it is when the tables are rewritten. */
const NOTES = '## Findings (written by hand, kept by npm run bench)'
const say = (text) => console.log(text)

if (wanted('size')) {
  say('== size')
  const { rows, markdown } = await sizes()
  sizeRows = rows
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

if (wanted('faults')) {
  say('== duplicates and losses under faults')
  const markdown = await faultsSection(settings)
  sections.push([
    'Duplicates and losses under faults',
    `${settings.faultClients} clients, each its own user, make ${settings.faultRequests} calls each of a handler that takes 5 ms and counts its runs by key, two in flight per client, through a TCP proxy that resets every connection every ${settings.faultCutEvery} ms until all calls settled; ${settings.faultRuns} runs, the libraries taking turns, a fresh server each time. mp-socket with its defaults (reconnect 1 s randomized by half, \`requestTimeout\` 10 s) against the reference server (dedupe on, 60 s); socket.io 4 with its defaults (reconnection 1 s randomized by half) and \`retries: 3\`, \`ackTimeout: 2000\`, its at-least-once retry. "Failed": the call's promise rejected (lost to the app); "extra runs": handler runs beyond the first for a key. ${pinning}.`,
    markdown,
  ])
  say(markdown)
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

if (['dedupe', 'recovery', 'channels', 'history', 'scale'].some(wanted)) {
  // One redis-server for all of them: both libraries take turns on it, flushed in between.
  const redis = await startRedis()
  try {
    if (wanted('dedupe')) {
      say('== dedupe cost')
      const { markdown, verdicts } = await dedupeSection(settings, redis)
      const entries = quick ? 1000 : 100_000
      const [grouped, apart, churned] = await dedupeMemory([
        { entries, perUser: 100, inserts: entries },
        { entries, perUser: 1, inserts: entries },
        { entries, perUser: 100, inserts: 3 * entries },
      ])
      verdicts.push(
        `memory per request remembered in memory (the window alone, ${entries.toLocaleString('en')} entries, 12-character ids, reply \`{"error":0,"body":"ok"}\`, JS heap and arrays after GC): ${grouped.bytesPerEntry} B when users have 100 entries each, ${apart.bytesPerEntry} B when every entry is another user's, ${churned.bytesPerEntry} B after ${churned.inserts.toLocaleString('en')} requests through it`,
      )
      const time = await dedupeTime({ perUser: 1000, calls: quick ? 100_000 : 1_000_000 })
      verdicts.push(
        `CPU time of the window alone per new request (looked up, then its reply kept; ${time.calls.toLocaleString('en')} fresh 12-character ids of one user at its 1,000-entry bound, so each also forgets the oldest; median of 5 rounds, ${time.rounds.join(' / ')} ns): ${time.nsPerRequest} ns, against the whole server's CPU per request in the table`,
      )
      sections.push([
        'What running requests once costs',
        `mp-socket \`request()\` against one reference server process with dedupe off (\`DEDUPE=0\`), in memory (the default, 60 s) and in Redis (\`REDIS_URL\`, redis-server on the servers' CPU), ${settings.requests.toLocaleString('en')} requests per run after a warm-up, ${settings.runs} runs, medians, the modes taking turns within each round; payload and client as in the throughput section (one user). Redis commands per request: INFO commandstats before and after a run, divided by its requests (warm-up included), by command. ${pinning}.`,
        `${markdown}\n\n${verdicts.map((v) => `- ${v}`).join('\n')}`,
      ])
      say(markdown)
      say(verdicts.join('\n'))
    }
    if (wanted('recovery')) {
      say('== recovery storm')
      const { markdown, storm } = await recoverySection(redis, settings, say)
      sections.push([
        'Recovery storm (three nodes, one killed)',
        `${settings.stormClients.toLocaleString('en')} clients (${settings.stormProcesses} client processes) on three nodes sharing one redis-server, each client its own user and following one of ${storm.channels} channels; its first connection goes to node i % 3, each reconnect attempt to the next node (what a load balancer does once a node is gone). Both libraries with their default reconnect delays (1 s, randomized by half). Every ${storm.tick} ms the publisher sends, to the surviving nodes in turn, one message to the next ${storm.usersPerTick} users and one to the next channel (${Math.round((1000 / storm.tick) * (storm.usersPerTick + 1))} stream appends per second); after ${storm.warmup + storm.baseline} ms node 1 is killed with SIGKILL. "Back" is a client of the killed node logged in and subscribed again on another node (socket.io: connected again); "recovered completely" is mp-socket's \`recovered: true\` for the login and the subscribe, socket.io's \`socket.recovered\`. Lost, duplicated and out-of-order count handler calls over every client against every acknowledged publication, after a 2 s drain. Redis commands: INFO commandstats over the window from the kill until all are back, minus what the publications of that window cost (measured per publishing turn just before the kill), divided by the clients of the killed node; commands run inside Lua scripts are counted one by one (XREAD, the adapter's polling loop, is left out). ${settings.stormRuns} runs with SIGKILL, the libraries taking turns, and one with SIGTERM for comparison. Servers and redis-server ${pinning}.`,
        markdown,
      ])
      say(markdown)
    }
    if (wanted('channels')) {
      say('== channel fan-out')
      const markdown = await channelsSection(redis, settings, say)
      sections.push([
        'Channel fan-out and memory per subscribed socket',
        `${settings.subscribers.toLocaleString('en')} clients in ${settings.fanProcesses} processes, spread over three nodes sharing one redis-server, all following one channel. One publication at a time through \`POST /push\` of each node in turn, timed until the last handler ran (the client processes share this machine's clock); ${settings.fanRounds} rounds after ${settings.fanWarmup} warm-up rounds, ${settings.fanRuns} runs, the libraries taking turns. Memory: the three nodes' resident sets (/proc) before the clients connected and 2 s after all were subscribed, divided by the clients. CPU: the user and system time (/proc) of the three nodes, and of the client processes (what the SDK's clients, or socket.io-client's, cost per push), over the measured rounds, divided by the rounds: less moved by the machine's other load than the times. ${pinning}.`,
        markdown,
      ])
      say(markdown)
    }
    if (wanted('history')) {
      say('== history cost in Redis')
      const markdown = await historySection(redis, settings)
      sections.push([
        'History cost in Redis',
        `INFO memory's used_memory before and after ${settings.historyMessages.toLocaleString('en')} publications (scaled to 1,000) through one node (history size ${settings.historyMessages.toLocaleString('en')}), on a flushed redis-server; payload \`{"k":"c","id":n,"lng":121.473701,"lat":31.230416,"at":…}\` (a position update of the live-location example's size). mp-socket keeps one key per channel and per user (its position alone while nothing is stored: a user's first push starts the epoch and is not stored; then a list of the entries and the position); socket.io's adapter keeps one stream for every room (maxLen 100,000 here). Median of ${settings.historyRuns} runs.`,
        markdown,
      ])
      say(markdown)
    }
    if (wanted('scale')) {
      say('== scale')
      const scale = scaleSettings(quick)
      scaleFigures = await scaleSection(redis, scale, say)
      sections.push([
        'A 20,000-socket node, and Redis per unit of work',
        `One node on a flushed redis-server holding ${scale.sockets.toLocaleString('en')} idle logged-in sockets (fewer when the node's open-file limit is lower: the table says how many), opened ${scale.batch} at a time by each of ${scale.processes} client processes, each from its own loopback address: raw \`ws\` sockets speaking each server's protocol by hand (mp-socket's login with \`since: null\`, as the SDK sends it; engine.io 4 with socket.io's \`auth\`), answering pings. Nodes: \`servers/mp-node.mjs\` and \`servers/socketio-node.mjs\` (redis-streams-adapter) under \`servers/probed.mjs\`, which reads the node's RSS and heap after a GC and its event-loop delay (perf_hooks monitorEventLoopDelay) since the last reset: idle over ${scale.idleWindow} ms, then during ${scale.rounds} fan-out rounds (after ${scale.warmup} warm-up ones, ${scale.gap} ms apart), each timed from \`POST /push\` until every socket handled it. mp-socket then subscribes every socket to one channel and does it again. ${scale.runs} runs, the libraries taking turns. Below, mp-socket's Redis cost per unit of work from INFO commandstats, net bytes and used_memory before and after ${scale.unitUsers.toLocaleString('en')} logins, subscribes, pushes and recoveries (${scale.unitPublications} channel publications and broadcasts), minus what the snapshots themselves cost; docs/scaling.md builds on these. Servers and redis-server ${pinning}.`,
        scaleFigures.benchmarks,
      ])
      say(scaleFigures.benchmarks)
    }
  } finally {
    await redis.stop()
  }
}

if (wanted('cluster')) {
  say('== Redis Cluster: channel fan-out and recovery storm')
  const cluster = await startRedisCluster(3)
  try {
    const markdown = await redisClusterSection(cluster, settings, say)
    sections.push([
      'On a Redis Cluster (three masters)',
      `The channel fan-out and the recovery storm above, with the three nodes on a Redis Cluster of three masters (redis-server processes on the servers' CPU, \`--cluster-replicas 0\`) instead of one redis-server: mp-socket with \`REDIS_CLUSTER\`; socket.io 4 with @socket.io/redis-adapter's sharded adapter (\`createShardedAdapter\`, subscription mode "static": its default, "dynamic", crashes with node-redis 5.12 once rooms empty, node-redis cluster clients) in the fan-out only, as it has no connection-state recovery. ${settings.subscribers.toLocaleString('en')} subscribers in ${settings.fanProcesses} processes, ${settings.fanRounds} rounds after ${settings.fanWarmup} warm-up rounds, ${settings.fanRuns} runs, the libraries taking turns; the storm as above with ${settings.stormClients.toLocaleString('en')} clients, ${settings.stormRuns} runs with SIGKILL, its Redis commands summed over the masters. ${pinning}.`,
      markdown,
    ])
    say(markdown)
  } finally {
    await cluster.stop()
  }
}

function mb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

function redisVersion() {
  try {
    return `redis-server ${execFileSync('redis-server', ['--version']).toString().match(/v=(\S+)/)[1]}`
  } catch {
    return 'no redis-server'
  }
}

if (write) {
  const version = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
  // Machines of one kind differ in CPU from day to day: each section says which it ran on.
  const cpu = `${cpus().length} × ${cpus()[0].model.trim()}`
  const machine = `${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`
  const today = new Date().toISOString().slice(0, 10)
  // Hand-written findings (what each change bought, what each feature costs) outlive the re-run,
  // and so do the sections a partial run (`--only=`) did not measure: each says when it was measured.
  const previous = readFileSync(join(ROOT, 'docs/benchmarks.md'), 'utf8')
  const notes = previous.indexOf(NOTES)
  const blocks = new Map()
  for (const block of (notes < 0 ? previous : previous.slice(0, notes)).split(/^(?=## )/m).slice(1)) blocks.set(block.split('\n')[0], block.trimEnd())
  for (const [title, text, markdown] of sections) blocks.set(`## ${title}`, [`## ${title}`, '', `${text} Measured ${today} on ${cpu}.`, '', markdown].join('\n'))
  const doc = [
    '# Benchmarks',
    '',
    `Measured on ${machine}, with \`npm run bench\` (\`node bench/run.mjs\`; each section says when and on which CPU: a section that names none ran on 2 × AMD EPYC); see [bench/README.md](../bench/README.md) to reproduce.`,
    `Versions: ws ${version('ws')}, socket.io ${version('socket.io')}, socket.io-client ${version('socket.io-client')}, @socket.io/redis-streams-adapter ${version('@socket.io/redis-streams-adapter')}, redis (node client) ${version('redis')}, ${redisVersion()}. CPU placement: ${pinning}.`,
    'The machine is shared and noisy: runs of the same thing differ by 10-20 %; read ratios from one run, not figures across runs.',
    '',
    ...[...blocks.values()].flatMap((block) => [block, '']),
  ].join('\n')
  writeFileSync(join(ROOT, 'docs/benchmarks.md'), notes < 0 ? doc : `${doc}\n${previous.slice(notes)}`)
  say('wrote docs/benchmarks.md')
  if (scaleFigures) {
    const scaling = join(ROOT, 'docs/scaling.md')
    writeFileSync(scaling, writeScaling(readFileSync(scaling, 'utf8'), scaleFigures))
    say('wrote docs/scaling.md')
  }
  if (sizeRows) {
    const readme = join(ROOT, 'README.md')
    writeFileSync(readme, quoteSizes(readFileSync(readme, 'utf8'), sizeRows))
    say('wrote the sizes README.md quotes')
  }
}
process.exit(0)
