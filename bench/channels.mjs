// Channel fan-out and memory per idle subscribed socket: `subscribers` clients of one library on
// three nodes sharing a redis-server, all following one channel. One publication at a time through
// POST /push of a node (in turn), timed until the last client's handler ran; the nodes' resident
// memory before the clients connected and after they sat idle, subscribed, and the CPU time the
// nodes, the client processes and redis-server used per measured round, in user space and in the
// kernel (less noisy than the times on a shared machine).
import { cpuTimes, now, push, pushBody, rss, sleep, startFleet, startNodes } from './cluster.mjs'
import { percentiles } from './lib.mjs'

export async function channelFanout(redis, library, { subscribers, processes, rounds, warmupRounds = 3, settle = 2000 }) {
  await redis.client.flushAll()
  const nodes = await startNodes(library, redis)
  let fleet
  try {
    await sleep(500)
    const before = (await Promise.all(nodes.map((node) => rss(node.pid)))).reduce((a, b) => a + b, 0)
    let arrivals = []
    let arrived = () => {}
    fleet = await startFleet(
      library,
      nodes.map((node) => node.port),
      {
        processes,
        perProcess: subscribers / processes,
        channel: 'fan',
        onRound: (message) => {
          arrivals.push(message.at)
          if (arrivals.length === processes) arrived()
        },
      },
    )
    await sleep(settle)
    const after = (await Promise.all(nodes.map((node) => rss(node.pid)))).reduce((a, b) => a + b, 0)
    const groups = { nodes: nodes.map((node) => node.pid), clients: fleet.pids, redis: redis.pids ?? [] }
    let cpuBefore
    const times = []
    for (let round = 0; round < warmupRounds + rounds; round++) {
      if (round === warmupRounds) cpuBefore = await cpuOf(groups)
      arrivals = []
      const done = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`round ${round}: ${arrivals.length} of ${processes} processes got it within 60 s`)), 60_000)
        arrived = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      const started = now()
      await push(nodes[round % nodes.length].port, pushBody(library, { channel: 'fan', msg: { k: 'f', round } }))
      await done
      if (round >= warmupRounds) times.push(Math.max(...arrivals) - started)
      await sleep(settle / 10)
    }
    const cpu = perRound(cpuBefore, await cpuOf(groups), rounds)
    return { subscribers, before, after, perSocket: (after - before) / subscribers, cpuPerRound: cpu.nodes.user + cpu.nodes.system, clientCpuPerRound: cpu.clients.user + cpu.clients.system, cpu, ...percentiles(times), times }
  } finally {
    await fleet?.close()
    for (const node of nodes) await node.stop()
  }
}

/** `{user, system}` CPU ms of each group of processes, summed over its processes. */
async function cpuOf(groups) {
  const result = {}
  for (const [name, pids] of Object.entries(groups)) {
    const times = await Promise.all(pids.map(cpuTimes))
    result[name] = { user: times.reduce((a, t) => a + t.user, 0), system: times.reduce((a, t) => a + t.system, 0) }
  }
  return result
}

/** What each group used between two readings, per round. */
function perRound(before, after, rounds) {
  const result = {}
  for (const name of Object.keys(after)) {
    result[name] = { user: (after[name].user - before[name].user) / rounds, system: (after[name].system - before[name].system) / rounds }
  }
  return result
}
