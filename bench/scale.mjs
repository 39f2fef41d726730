// The scale section (issue 19, item 4): one node holding 20,000 idle logged-in sockets, side by side
// with socket.io; what one login, push, publication, recovery and presence refresh costs in Redis
// (INFO commandstats, INFO stats net bytes and INFO memory deltas on a real redis-server); and from
// those, what 100k and 1M concurrent users need. docs/scaling.md quotes these figures: run.mjs
// rewrites its generated block and quotes from `doc` below.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LIBRARIES, delta, now, push, pushBody, sleep, startClientProcesses, sum } from './cluster.mjs'
import { ROOT, command, median, ms, percentiles, printedPort, startServer, table } from './lib.mjs'

/** File descriptors a node keeps besides its sockets' (Redis connections, epoll, stdio...), with room. */
const FD_MARGIN = 64
/** Where docs/scaling.md's generated part sits, and its inline quotes of one figure each. */
export const SCALE_BLOCK = /<!-- scale:generated -->[\s\S]*?<!-- \/scale:generated -->/
export const SCALE_QUOTE = /<!-- scale: ([\w.-]+) -->(.*?)<!-- \/scale -->/g

/**
 * The workload docs/scaling.md sizes for: assumptions, not measurements (change them here, and the
 * projection follows). A mini-program user keeps one socket, follows one channel, gets a push a
 * minute, and reconnects (with recovery) every ten minutes as the app goes to the background and back.
 */
export const WORKLOAD = {
  pushesPerUserPerMinute: 1,
  reconnectsPerUserPerHour: 6,
  usersPerChannel: 1000,
  channelPublicationsPerSecond: 1,
  /** entries a user stream holds in the steady state: the server's default history.size */
  historyEntries: 100,
  /** the share of a Redis core's measured capacity a shard is planned to use */
  shardHeadroom: 0.5,
  /** memory a shard is planned to hold */
  shardMemory: 8 * 2 ** 30,
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`
const gb = (bytes) => `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 2 : 1)} GB`
const count = (n) => Math.round(n).toLocaleString('en')
const bytes = (n) => `${Math.round(n).toLocaleString('en')} B`
const one = (n) => n.toFixed(n < 10 ? 2 : 1)

/** The open-file limit of a process, from /proc: what caps the sockets one node can hold. */
function openFileLimit(pid) {
  return Number(readFileSync(`/proc/${pid}/limits`, 'utf8').match(/Max open files\s+(\d+)/)[1])
}

/** A bench server under bench/servers/probed.mjs on the servers' CPU: its port, its probe, stop(). */
async function startProbed(script, env) {
  const [file, args] = command(1, ['--expose-gc', join(ROOT, 'bench/servers/probed.mjs'), join(ROOT, script)])
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const port = await printedPort(child, script)
  const ask = (message) =>
    new Promise((resolve) => {
      child.once('message', resolve)
      child.send(message)
    })
  return {
    port,
    pid: child.pid,
    probe: (gc = false) => ask({ type: 'probe', gc }),
    resetDelay: () => ask({ type: 'reset' }),
    async stop() {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * `processes` bench/scale-client.mjs processes on the clients' CPU, each from its own loopback
 * address (127.0.0.2, .3...: every address has its own ephemeral ports toward the node).
 * `ask(type, data)` sends a command to all and resolves with their answers.
 */
async function startClients(processes, onRound = () => {}) {
  const clients = startClientProcesses('bench/scale-client.mjs', processes, { onRound })
  await clients.up
  const addressOf = (p) => `127.0.0.${2 + p}`
  return {
    ask: (type, data = () => ({})) => clients.ask(type, (p) => data(p, addressOf(p))),
    close: clients.close,
  }
}

/** A publication to everyone connected: mp-socket's `to: "*"`, socket.io's emit to no room (all). */
function broadcastBody(library, msg) {
  return library.key === 'sio' ? { event: 'e', msg, rooms: [] } : { event: 'e', msg, to: '*' }
}

/**
 * `rounds` publications (after `warmup` ones), each timed from POST /push until every client
 * process has handled it, with the node's event-loop delay over all of them.
 */
async function fanoutRounds(node, kind, body, { rounds, warmup, gap }, arrivalsOf) {
  await node.resetDelay()
  const times = []
  for (let n = 0; n < warmup + rounds; n++) {
    const round = `${kind} ${n}`
    let timer
    const arrivals = Promise.race([arrivalsOf(round), new Promise((resolve, reject) => (timer = setTimeout(() => reject(new Error(`round ${round}: not every process got it within 60 s`)), 60_000)))])
    const started = now()
    await push(node.port, body({ k: 'f', round }))
    const last = await arrivals.finally(() => clearTimeout(timer))
    if (n >= warmup) times.push(last - started)
    await sleep(gap)
  }
  const after = await node.probe()
  return { ...percentiles(times), times, delay: after.delay, rss: after.rss }
}

/**
 * One node of `library` on a flushed redis-server, as many idle logged-in sockets as `settings.sockets`
 * (fewer if the node's open-file limit is lower), in `settings.processes` client processes:
 * the node's memory before and after, its event-loop delay while idle and during broadcasts, and
 * for mp-socket the same again with every socket following one channel.
 */
export async function holdSockets(redis, library, settings) {
  await redis.client.flushAll()
  const node = await startProbed(library.server, { REDIS_URL: redis.url })
  const waiting = new Map()
  const onRound = ({ round, at }) => {
    const entry = waiting.get(round)
    entry.arrivals.push(at)
    if (entry.arrivals.length === settings.processes) entry.resolve(Math.max(...entry.arrivals))
  }
  const arrivalsOf = (round) => new Promise((resolve) => waiting.set(round, { arrivals: [], resolve }))
  const fleet = await startClients(settings.processes, onRound)
  try {
    await sleep(500)
    const base = await node.probe(true)
    const limit = openFileLimit(node.pid)
    const perProcess = Math.floor(Math.min(settings.sockets, limit - base.fds - FD_MARGIN) / settings.processes)
    const started = now()
    await fleet.ask('connect', (p, localAddress) => ({ lib: library.key, port: node.port, localAddress, from: p * perProcess, count: perProcess, batch: settings.batch }))
    const connectSeconds = (now() - started) / 1000
    await sleep(settings.settle)
    const idle = await node.probe(true)
    await node.resetDelay()
    await sleep(settings.idleWindow)
    const idleDelay = (await node.probe()).delay
    const broadcast = await fanoutRounds(node, 'broadcast', (msg) => broadcastBody(library, msg), settings, arrivalsOf)
    let channel
    if (library.key === 'mp') {
      await fleet.ask('subscribe', () => ({ channel: 'fan' }))
      await sleep(settings.settle)
      const subscribed = await node.probe(true)
      channel = { subscribed, ...(await fanoutRounds(node, 'channel', (msg) => pushBody(library, { channel: 'fan', msg }), settings, arrivalsOf)) }
    }
    const sockets = perProcess * settings.processes
    return { sockets, limit, connectSeconds, base, idle, idleDelay, broadcast, channel, perSocket: (idle.rss - base.rss) / sockets, heapPerSocket: (idle.heapUsed - base.heapUsed) / sockets, perSubscription: channel ? (channel.subscribed.rss - idle.rss) / sockets : undefined }
  } finally {
    await fleet.close()
    await node.stop()
  }
}

/** INFO stats, memory and commandstats in one command, so that one snapshot costs one call. */
async function snapshot(redis) {
  const info = await redis.client.sendCommand(['INFO', 'stats', 'memory', 'commandstats'])
  const field = (name) => Number(info.match(new RegExp(`^${name}:(\\d+)`, 'm'))[1])
  const calls = {}
  for (const match of info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) calls[match[1]] = Number(match[2])
  delete calls.info
  return { calls, in: field('total_net_input_bytes'), out: field('total_net_output_bytes'), memory: field('used_memory') }
}

/**
 * A bench client following the server's live channels (sharded: `PUBSUB SHARDCHANNELS`), counting the bytes
 * Redis writes to it (RESP framing included): what Redis writes to each node per publication, which
 * is then left out of the window's output bytes.
 */
async function liveListener(redis) {
  const channels = (await redis.client.sendCommand(['PUBSUB', 'SHARDCHANNELS'])).filter((name) => /live/.test(name))
  const listener = redis.client.duplicate()
  listener.on('error', () => {})
  await listener.connect()
  const heard = { bytes: 0, messages: 0 }
  const bulk = (length) => `$${length}\r\n`.length + length + 2
  for (const channel of channels) {
    await listener.sSubscribe(
      channel,
      (message) => {
        heard.messages++
        heard.bytes += '*3\r\n'.length + bulk('smessage'.length) + bulk(Buffer.byteLength(channel)) + bulk(message.length)
      },
      true,
    )
  }
  return { heard, channels, close: () => listener.destroy() }
}

/** Runs `work` between two snapshots; figures per `units` (logins, pushes...), the listener's bytes left out. */
async function perUnit(redis, listener, calibration, units, work) {
  const before = await snapshot(redis)
  const heard = { ...listener.heard }
  await work()
  await sleep(300)
  const after = await snapshot(redis)
  const calls = delta(before.calls, after.calls)
  const heardBytes = listener.heard.bytes - heard.bytes
  const heardMessages = listener.heard.messages - heard.messages
  return {
    commands: sum(calls) / units,
    top: Object.entries(calls)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([name, calls]) => `${name} ${one(calls / units)}`),
    in: (after.in - before.in - calibration.in) / units,
    out: (after.out - before.out - calibration.out - heardBytes) / units,
    memory: (after.memory - before.memory) / units,
    perNode: heardMessages ? heardBytes / heardMessages : 0,
    publications: heardMessages / units,
  }
}

/** A position update of the live-location example's size, as bench/history.mjs publishes. */
const point = (id) => ({ k: 'c', id, lng: 121.473701, lat: 31.230416, at: 1763800000000 + id })

/**
 * What each unit of work costs in Redis, mp-socket only, on a flushed redis-server with one node
 * (bench/servers/scale-mp.mjs: the server's defaults) and a second node that only listens, whose
 * CPU time per publication is what every node pays for every publication it hears.
 */
export async function unitCosts(redis, { unitUsers: users, unitPublications: publications, unitRefreshWindow: refreshWindow, unitFullStreams: fullStreams }) {
  const mp = LIBRARIES.find((library) => library.key === 'mp')
  await redis.client.flushAll()
  const calibration = await calibrate(redis)
  const node = await startServer('bench/servers/scale-mp.mjs', { REDIS_URL: redis.url, PRESENCE_TTL: '3600' })
  const bystander = await startProbed('bench/servers/scale-mp.mjs', { REDIS_URL: redis.url, PRESENCE_TTL: '3600' })
  const listener = await liveListener(redis)
  const fleet = await startClients(1)
  const units = {}
  try {
    units.login = await perUnit(redis, listener, calibration, users, () => fleet.ask('connect', (p, localAddress) => ({ lib: 'mp', port: node.port, localAddress, from: 0, count: users, batch: 50 })))
    units.subscribe = await perUnit(redis, listener, calibration, users, () => fleet.ask('subscribe', () => ({ channel: 'room' })))
    const toEach = (offset) => async () => {
      for (let n = 0; n < users; n++) await push(node.port, pushBody(mp, { users: [`user:${n}`], msg: point(offset + n) }))
    }
    // The bystander's own CPU while idle (timers, GC), taken out of what hearing the pushes cost it.
    const idleStart = { cpu: (await bystander.probe()).cpu, at: now() }
    await sleep(1000)
    const cpuBefore = { cpu: (await bystander.probe()).cpu, at: now() }
    const idleRate = (cpuBefore.cpu - idleStart.cpu) / (cpuBefore.at - idleStart.at)
    units.firstPush = await perUnit(redis, listener, calibration, users, toEach(0))
    const cpuAfter = { cpu: (await bystander.probe()).cpu, at: now() }
    units.heardCpu = Math.max(0, (cpuAfter.cpu - cpuBefore.cpu - idleRate * (cpuAfter.at - cpuBefore.at)) * 1000) / users
    units.push = await perUnit(redis, listener, calibration, users, toEach(users))
    // A stream's memory is not linear in its entries (Redis's encodings change with size): a few
    // users' streams are filled to the history size for what a steady-state one costs.
    const filled = Math.min(users, fullStreams)
    const fill = await perUnit(redis, listener, calibration, filled, async () => {
      for (let round = 2; round < WORKLOAD.historyEntries; round++) {
        for (let n = 0; n < filled; n++) await push(node.port, pushBody(mp, { users: [`user:${n}`], msg: point(round * users + n) }))
      }
    })
    units.fullStream = units.firstPush.memory + units.push.memory + fill.memory
    units.publication = await perUnit(redis, listener, calibration, publications, async () => {
      for (let n = 0; n < publications; n++) await push(node.port, pushBody(mp, { channel: 'room', msg: point(n) }))
    })
    units.broadcast = await perUnit(redis, listener, calibration, publications, async () => {
      for (let n = 0; n < publications; n++) await push(node.port, { event: 'e', msg: point(n), to: '*' })
    })
    // Every client misses one push on its user stream and one publication on its channel.
    await fleet.ask('drop')
    await sleep(500)
    await toEach(2 * users)()
    await push(node.port, pushBody(mp, { channel: 'room', msg: point(0) }))
    let answers
    units.recovery = await perUnit(redis, listener, calibration, users, async () => (answers = await fleet.ask('reconnect')))
    units.recovered = answers.reduce((total, answer) => total + answer.recovered, 0)
  } finally {
    await fleet.close()
    await listener.close()
    await bystander.stop()
    await node.stop()
  }
  units.refresh = await refreshCost(redis, calibration, users, refreshWindow)
  units.redisCapacity = redisCapacity(redis)
  await redis.client.flushAll()
  return units
}

/** Snapshot-to-snapshot bytes with nothing else running: what the snapshots themselves cost. */
async function calibrate(redis) {
  const samples = []
  for (let n = 0; n < 3; n++) {
    const before = await snapshot(redis)
    const after = await snapshot(redis)
    samples.push({ in: after.in - before.in, out: after.out - before.out })
  }
  return { in: median(samples.map((s) => s.in)), out: median(samples.map((s) => s.out)) }
}

/**
 * Presence refreshes, which every logged-in user costs as long as they stay: with PRESENCE_TTL 3
 * the node refreshes each user every second, so commands over `window` ms, per user and per
 * second, are the commands of one refresh.
 */
async function refreshCost(redis, calibration, users, window) {
  await redis.client.flushAll()
  const node = await startServer('bench/servers/scale-mp.mjs', { REDIS_URL: redis.url, PRESENCE_TTL: '3' })
  const fleet = await startClients(1)
  try {
    await fleet.ask('connect', (p, localAddress) => ({ lib: 'mp', port: node.port, localAddress, from: 0, count: users, batch: 50 }))
    await sleep(1500)
    const before = await snapshot(redis)
    await sleep(window)
    const after = await snapshot(redis)
    return sum(delta(before.calls, after.calls)) / users / (window / 1000)
  } finally {
    await fleet.close()
    await node.stop()
  }
}

/** This machine's redis-server, in SET commands per second from 50 connections (redis-benchmark). */
function redisCapacity(redis) {
  const port = new URL(redis.url).port
  try {
    const [file, args] = command(0, ['-p', port, '-q', '-t', 'set', '-n', '100000', '-c', '50', '-r', '100000'], 'redis-benchmark')
    const output = execFileSync(file, args, { encoding: 'utf8', timeout: 120_000 })
    return Number(output.match(/SET: ([\d.]+) requests per second/)[1])
  } catch {
    return null
  }
}

/** The section: `runs` rounds of both libraries' nodes in turns, then mp-socket's unit costs. */
export async function scaleSection(redis, settings, say) {
  const samples = new Map(LIBRARIES.map((library) => [library, []]))
  for (let run = 0; run < settings.runs; run++) {
    for (const library of LIBRARIES) {
      const r = await holdSockets(redis, library, settings)
      say(
        `${library.name} run ${run + 1}: ${count(r.sockets)} sockets (open-file limit ${count(r.limit)}) in ${r.connectSeconds.toFixed(1)} s; RSS ${mb(r.base.rss)} -> ${mb(r.idle.rss)}, ${kb(r.perSocket)} per socket; idle loop delay p99 ${ms(r.idleDelay.p99)} ms; broadcast p50 ${ms(r.broadcast.p50)} p99 ${ms(r.broadcast.p99)} ms` +
          (r.channel ? `; subscribed +${kb(r.perSubscription)} per socket, channel p50 ${ms(r.channel.p50)} p99 ${ms(r.channel.p99)} ms` : ''),
      )
      samples.get(library).push(r)
    }
  }
  const units = await unitCosts(redis, settings)
  say(`unit costs: ${JSON.stringify(units)}`)
  return render(samples, units, settings)
}

const medianBy = (list, read) => {
  const values = list.map(read).filter((v) => v !== undefined && v !== null)
  return values.length ? median(values) : undefined
}

/** Tables for docs/benchmarks.md and docs/scaling.md, and the figures docs/scaling.md quotes by name. */
function render(samples, units, settings) {
  const w = WORKLOAD
  const [mp, sio] = LIBRARIES.map((library) => samples.get(library))
  const each = (list, read, format = ms) => list.map((r) => (read(r) === undefined ? '-' : format(read(r)))).join(' / ')
  const nodeRows = [...samples].flatMap(([library, list]) => {
    const row = (job, read) => [
      library.name,
      job,
      `${count(medianBy(list, (r) => r.sockets))} (limit ${count(list[0].limit)})`,
      mb(medianBy(list, (r) => r.idle.rss)),
      kb(medianBy(list, (r) => r.perSocket)),
      each(list, (r) => r.perSocket, kb),
      `${ms(medianBy(list, (r) => r.idleDelay.p99))} / ${ms(medianBy(list, (r) => r.idleDelay.max))}`,
      ms(medianBy(list, (r) => read(r).p50)),
      ms(medianBy(list, (r) => read(r).p99)),
      each(list, (r) => read(r).p99),
      `${ms(medianBy(list, (r) => read(r).delay.p99))} / ${ms(medianBy(list, (r) => read(r).delay.max))}`,
    ]
    const rows = [row(library.key === 'sio' ? 'emit to everyone' : 'push to: "*"', (r) => r.broadcast)]
    if (library.key === 'mp') rows.push(row(`one channel all follow (+${kb(medianBy(list, (r) => r.perSubscription))} per subscribed socket)`, (r) => r.channel))
    return rows
  })
  const nodeTable = table(
    ['library', 'fan-out', 'idle sockets held (open-file limit)', 'node RSS idle', 'RSS per idle socket', 'each run', 'event-loop delay idle, p99 / max ms', 'fan-out p50 ms', 'fan-out p99 ms', 'p99 each run', 'event-loop delay during fan-out, p99 / max ms'],
    nodeRows,
  )
  const unitRows = [
    ['login (`since: null`, as the SDK sends it)', units.login],
    ['subscribe to a channel (`since: null`)', units.subscribe],
    ["push to a user, the first since the login started the user's epoch", units.firstPush],
    ['push to a user, the next', units.push],
    [`publication to a channel of ${count(settings.unitUsers)} subscribers`, units.publication],
    ['push to everyone (`to: "*"`)', units.broadcast],
    ['recovery: login and subscribe again, one missed on each stream', units.recovery],
  ].map(([what, u]) => [what, `${one(u.commands)} (${u.top.join(', ')})`, bytes(u.in), bytes(u.out), u.perNode ? bytes(u.perNode) : '-', bytes(u.memory)])
  const unitTable = table(['unit of work', 'Redis commands (top ones)', 'bytes into Redis', 'bytes out of Redis, to the two nodes', 'of which to each node (the live publication)', 'Redis memory'], unitRows)
  const refreshInterval = 90 / 3
  const extra = [
    `- A user stream holding ${w.historyEntries} entries (the default \`history.size\`; ${count(settings.unitFullStreams)} streams filled): ${bytes(units.fullStream)}.`,
    `- Presence: ${one(units.refresh)} commands per logged-in user per refresh (\`HSET\`, \`EXPIRE\`), once per third of \`PRESENCE_TTL\` (30 s by default): ${(units.refresh / refreshInterval).toFixed(3)} commands per user per second for as long as they stay.`,
    `- A node hearing a publication for none of its sockets (every node hears every one): ${one(units.heardCpu)} µs of its CPU (process.cpuUsage of a second, idle node over ${count(settings.unitUsers)} pushes).`,
    `- Recovery: ${count(units.recovered)} of ${count(settings.unitUsers)} clients recovered completely (login and subscribe).`,
    `- This machine's redis-server: ${units.redisCapacity ? count(units.redisCapacity) : '-'} SET commands per second (redis-benchmark, 50 connections, no pipelining), taken as one shard's capacity.`,
  ].join('\n')

  const workload = `each user keeps one socket, follows one channel of ${count(w.usersPerChannel)} users, gets ${w.pushesPerUserPerMinute} push a minute and reconnects with recovery ${w.reconnectsPerUserPerHour} times an hour; each channel publishes ${w.channelPublicationsPerSecond} a second; a user stream holds ${w.historyEntries} entries (the default \`history.size\`); a shard is planned at ${(w.shardHeadroom * 100).toFixed(0)} % of the measured redis-server's commands per second and ${gb(w.shardMemory)} of memory; presence at its default (90 s, refreshed every 30 s)`
  const held = medianBy(mp, (r) => r.sockets)
  const figures = {
    sockets: held,
    perSocket: medianBy(mp, (r) => r.perSocket),
    perSubscription: medianBy(mp, (r) => r.perSubscription),
    baseRss: medianBy(mp, (r) => r.base.rss),
    fanout: medianBy(mp, (r) => r.broadcast.p99),
  }
  const projection = [100_000, 1_000_000].map((users) => project(users, figures, units))
  const projectionTable = table(
    ['concurrent users', 'nodes (at the density held here)', 'each node RSS', 'publications/s', 'Redis commands/s', 'Redis memory', 'live deliveries/s (publications x nodes)', 'Redis bytes out/s', 'each node CPU hearing all publications', 'shards (commands, memory)'],
    projection.map((p) => [count(p.users), count(p.nodes), mb(p.nodeRss), count(p.publications), count(p.commands), gb(p.memory), count(p.deliveries), `${count(p.bytesOut / 2 ** 20)} MB/s`, `${(p.heardCore * 100).toFixed(0)} % of a core`, `${p.shards} (${p.shardsByCommands}, ${p.shardsByMemory})`]),
  )
  const breaks = projection.map((p) => `- ${count(p.users)} users: ${p.limits.map(([name, share]) => `${name} ${(share * 100).toFixed(0)} %`).join(', ')}.`).join('\n')
  const sio1 = { perSocket: medianBy(sio, (r) => r.perSocket), p99: medianBy(sio, (r) => r.broadcast.p99) }
  const values = {
    'held': count(held),
    'limit': count(mp[0].limit),
    'ports': readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number).reduce((low, high) => count(high - low + 1)),
    'shard-memory': gb(w.shardMemory),
    'idle-socket': kb(figures.perSocket),
    'idle-socket-sio': kb(sio1.perSocket),
    'subscribed-socket': kb(figures.perSubscription),
    'node-rss': mb(medianBy(mp, (r) => r.idle.rss)),
    'idle-delay': ms(medianBy(mp, (r) => r.idleDelay.p99)),
    'fanout-p99': ms(figures.fanout),
    'fanout-p99-sio': ms(sio1.p99),
    'fanout-delay': ms(medianBy(mp, (r) => r.broadcast.delay.max)),
    'login-commands': one(units.login.commands),
    'login-memory': bytes(units.login.memory),
    'push-commands': one(units.push.commands),
    'push-in': bytes(units.push.in),
    'live-bytes': bytes(units.push.perNode),
    'stream': bytes(units.firstPush.memory),
    'entry': bytes(units.push.memory),
    'full-stream': bytes(units.fullStream),
    'publication-commands': one(units.publication.commands),
    'broadcast-commands': one(units.broadcast.commands),
    'recovery-commands': one(units.recovery.commands),
    'recovery-out': bytes(units.recovery.out),
    'refresh-commands': (units.refresh / refreshInterval).toFixed(3),
    'heard-cpu': `${one(units.heardCpu)} µs`,
    'redis-capacity': units.redisCapacity ? count(units.redisCapacity) : '-',
  }
  for (const p of projection) {
    const at = p.users === 100_000 ? '100k' : '1m'
    Object.assign(values, {
      [`nodes-${at}`]: count(p.nodes),
      [`commands-${at}`]: count(p.commands),
      [`memory-${at}`]: gb(p.memory),
      [`deliveries-${at}`]: count(p.deliveries),
      [`heard-${at}`]: `${(p.heardCore * 100).toFixed(0)} %`,
      [`shards-${at}`]: String(p.shards),
      [`first-${at}`]: p.limits[0][0],
    })
  }
  const benchmarks = `${nodeTable}\n\nRedis cost of each unit of work (mp-socket, one node with the server's defaults and one that only listens):\n\n${unitTable}\n\n${extra}`
  const generated = [
    '<!-- scale:generated -->',
    `<!-- Written by \`node bench/run.mjs --only=scale\` on ${new Date().toISOString().slice(0, 10)}; do not edit by hand. -->`,
    '',
    '### One node',
    '',
    nodeTable,
    '',
    '### Redis, per unit of work',
    '',
    unitTable,
    '',
    extra,
    '',
    '### 100k and 1M concurrent users',
    '',
    `The workload (assumed, not measured: \`WORKLOAD\` in bench/scale.mjs): ${workload}.`,
    '',
    projectionTable,
    '',
    "How close each limit is at that size, the nearest first: the share of one node's core, of the measured redis-server's commands per second (a live delivery counted as one command: Redis writes each to a node's socket, cheaper than a command but of its order), and of one shard's planned memory:",
    '',
    breaks,
    '',
    `<!-- scale:values ${JSON.stringify(values)} -->`,
    '<!-- /scale:generated -->',
  ].join('\n')
  return { benchmarks, generated, values }
}

/**
 * What `users` concurrent users need under WORKLOAD, from the measured figures: nodes at the
 * density one node held here, Redis commands and memory, and the pub/sub traffic of every node
 * hearing every publication (every node follows every live channel, on one Redis or a cluster).
 */
export function project(users, figures, units) {
  const w = WORKLOAD
  const nodes = Math.ceil(users / figures.sockets)
  const pushes = (users * w.pushesPerUserPerMinute) / 60
  const channels = users / w.usersPerChannel
  const channelPublications = channels * w.channelPublicationsPerSecond
  const publications = pushes + channelPublications
  const reconnects = (users * w.reconnectsPerUserPerHour) / 3600
  const refreshes = users * (units.refresh / 30)
  const commands = pushes * units.push.commands + channelPublications * units.publication.commands + reconnects * units.recovery.commands + refreshes
  const memory = users * (units.login.memory + units.subscribe.memory + units.fullStream) + channels * w.historyEntries * units.publication.memory
  const deliveries = publications * nodes
  const capacity = units.redisCapacity || 100_000
  const shardsByCommands = Math.ceil(commands / (capacity * w.shardHeadroom))
  const shardsByMemory = Math.ceil(memory / w.shardMemory)
  const heardCore = (publications * units.heardCpu) / 1e6
  const limits = [
    ["every node's CPU hearing every publication", heardCore],
    ["one redis-server's commands", commands / capacity],
    ["one redis-server's live deliveries", deliveries / capacity],
    ["one shard's memory", memory / w.shardMemory],
  ].sort((a, b) => b[1] - a[1])
  return {
    users,
    nodes,
    nodeRss: figures.baseRss + figures.sockets * (figures.perSocket + (figures.perSubscription || 0)),
    publications,
    commands,
    memory,
    deliveries,
    bytesOut: deliveries * units.push.perNode,
    heardCore,
    shardsByCommands,
    shardsByMemory,
    shards: Math.max(shardsByCommands, shardsByMemory),
    limits,
  }
}

/** docs/scaling.md with its generated block and its quotes (`<!-- scale: name -->…<!-- /scale -->`) rewritten. */
export function writeScaling(text, { generated, values }) {
  if (!SCALE_BLOCK.test(text)) throw new Error('docs/scaling.md has no <!-- scale:generated --> block')
  return text.replace(SCALE_BLOCK, () => generated).replace(SCALE_QUOTE, (quote, name) => {
    if (!(name in values)) throw new Error(`docs/scaling.md quotes "${name}", which bench/scale.mjs does not measure`)
    return `<!-- scale: ${name} -->${values[name]}<!-- /scale -->`
  })
}
