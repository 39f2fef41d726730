// Recovery storm: `clients` clients on three nodes of one library sharing a redis-server, messages
// published continuously to their users and channels, one node killed with SIGKILL (or stopped
// with SIGTERM, for comparison); every client of that node reconnects to another node and recovers what it missed. Measured: time from the kill
// until each is back (and whether recovery was complete), lost, duplicated and out-of-order
// messages over every client, and the Redis commands the recovery cost.
import { delta, now, push, pushBody, sleep, startFleet, startNodes, sum } from './cluster.mjs'
import { percentiles } from './lib.mjs'

/**
 * Publishes every `tick` ms, one after the other, to the surviving nodes (1 and 2) in turn: one
 * message to the next `usersPerTick` users, one to the next channel. Keeps, per stream, the ids
 * whose publication the node acknowledged: what every client of that stream must handle once.
 */
function startPublisher(library, nodes, { clients, channels, tick, usersPerTick }) {
  const expected = { users: {}, channels: {} }
  let id = 0
  let user = 0
  let channel = 0
  let errors = 0
  let ticks = 0
  let running = true
  const keep = (map, key, value) => (map[key] ||= []).push(value)
  const loop = (async () => {
    for (let turn = 0; running; turn++) {
      const started = performance.now()
      const port = nodes[1 + (turn % 2)].port
      const users = Array.from({ length: usersPerTick }, () => `user:${user++ % clients}`)
      const toUsers = { k: 'u', id: ++id }
      const name = `room:${channel++ % channels}`
      const toChannel = { k: 'c', id: ++id }
      try {
        await push(port, pushBody(library, { users, msg: toUsers }))
        for (const u of users) keep(expected.users, u, toUsers.id)
        await push(port, pushBody(library, { channel: name, msg: toChannel }))
        keep(expected.channels, name, toChannel.id)
        ticks++
      } catch {
        errors++
      }
      await sleep(Math.max(0, tick - (performance.now() - started)))
    }
  })()
  return {
    expected,
    get published() {
      return id
    },
    get errors() {
      return errors
    },
    /** Turns whose two publications both went through: Redis work grows with them. */
    get ticks() {
      return ticks
    },
    async stop() {
      running = false
      await loop
    },
  }
}

export async function recoveryStorm(redis, library, settings) {
  const { clients, processes, channels, signal = 'SIGKILL', timeout = 30_000, tail = 1000, drain = 2000 } = settings
  await redis.client.flushAll()
  const nodes = await startNodes(library, redis)
  const ports = nodes.map((node) => node.port)
  let fleet
  try {
    fleet = await startFleet(library, ports, { processes, perProcess: clients / processes, channels })
    const publisher = startPublisher(library, nodes, settings)
    await sleep(settings.warmup)
    // Redis commands per publishing turn while nothing else happens, to subtract from the
    // recovery window what the publications of that window cost.
    const beforeBaseline = await redis.commandCalls()
    const baselineTicks = publisher.ticks
    await sleep(settings.baseline)
    const beforeKill = await redis.commandCalls()
    const killTicks = publisher.ticks
    const killedAt = now()
    await nodes[0].stop(signal)
    let state
    for (const deadline = now() + timeout; now() < deadline; await sleep(50)) {
      const answers = await fleet.ask('status')
      state = { dropped: sum(answers.map((a) => a.dropped)), back: sum(answers.map((a) => a.back)) }
      if (state.dropped > 0 && state.back === state.dropped) break
    }
    const afterRecovery = await redis.commandCalls()
    const recoveryTicks = publisher.ticks
    // Publishing goes on a little after everyone is back, then whatever is in flight lands.
    await sleep(tail)
    await publisher.stop()
    await sleep(drain)
    const reports = await fleet.ask('report', () => ({ expected: publisher.expected, killedAt }))

    const perTick = Object.fromEntries(Object.entries(delta(beforeBaseline, beforeKill)).map(([name, calls]) => [name, calls / (killTicks - baselineTicks)]))
    const window = delta(beforeKill, afterRecovery)
    const excess = {}
    // INFO is this benchmark's own; XREAD is the socket.io adapter's polling loop, one per node and
    // not per client (it drops by a third with the killed node, which would hide other commands).
    for (const name of new Set([...Object.keys(window), ...Object.keys(perTick)])) {
      if (name !== 'info' && name !== 'xread') excess[name] = Math.round((window[name] || 0) - (perTick[name] || 0) * (recoveryTicks - killTicks))
    }
    const recoveries = reports.flatMap((r) => r.recoveries)
    const backTimes = recoveries.filter((r) => r.back !== null).map((r) => r.back)
    const total = (key) => sum(reports.map((r) => r[key]))
    return {
      clients,
      signal,
      dropped: recoveries.length,
      back: backTimes.length,
      recovered: recoveries.filter((r) => r.recovered).length,
      allBack: backTimes.length ? Math.max(...backTimes) : null,
      ...(backTimes.length ? percentiles(backTimes) : {}),
      lost: total('lost'),
      duplicated: total('duplicated'),
      outOfOrder: total('outOfOrder'),
      handled: total('handled'),
      expected: total('expected'),
      published: publisher.published,
      publishErrors: publisher.errors,
      commandsPerClient: recoveries.length ? sum(excess) / recoveries.length : null,
      excess,
      topCommands: Object.entries(excess)
        .filter(([, calls]) => calls > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([name, calls]) => `${name} ${(calls / Math.max(1, recoveries.length)).toFixed(1)}`),
    }
  } finally {
    await fleet?.close()
    for (const node of nodes) await node.stop()
  }
}
