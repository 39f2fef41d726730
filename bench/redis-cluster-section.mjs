// The Redis Cluster section of `npm run bench` (issue 19): the channel fan-out and the recovery
// storm of cluster-sections.mjs, with the three nodes on a Redis Cluster of three masters instead of
// one redis-server. socket.io 4 takes part with @socket.io/redis-adapter's sharded adapter where it
// does the same job: the fan-out. It has no connection-state recovery (only the streams adapter
// has, and on one Redis), so the storm is mp-socket's alone.
import { channelFanout } from './channels.mjs'
import { LIBRARIES } from './cluster.mjs'
import { median, ms, table } from './lib.mjs'
import { recoveryStorm } from './recovery.mjs'

const MP = LIBRARIES.find((library) => library.key === 'mp')
/** The fleet clients and the push body are socket.io's ('sio'); the server is the sharded one. */
const SIO_SHARDED = { key: 'sio', name: 'socket.io 4 + redis-adapter (sharded)', server: 'bench/servers/socketio-sharded-node.mjs' }

const count = (n) => n.toLocaleString('en')
const orDash = (value) => (value === null || value === undefined ? '-' : ms(value))
const each = (values, format = orDash) => values.map((v) => (v === null || v === undefined ? '-' : format(v))).join(' / ')
const medianOf = (list, key) => {
  const values = list.map((run) => run[key]).filter((v) => v !== null && v !== undefined)
  return values.length ? median(values) : null
}

export async function redisClusterSection(cluster, settings, say) {
  const fanout = new Map([MP, SIO_SHARDED].map((library) => [library, []]))
  for (let run = 0; run < settings.fanRuns; run++) {
    for (const [library, list] of fanout) {
      const result = await channelFanout(cluster, library, { subscribers: settings.subscribers, processes: settings.fanProcesses, rounds: settings.fanRounds, warmupRounds: settings.fanWarmup, settle: settings.fanSettle })
      say(`fan-out, ${library.name} run ${run + 1}: p50 ${ms(result.p50)} p99 ${ms(result.p99)} ms; rounds ${result.times.map((t) => t.toFixed(0)).join(' ')}`)
      list.push(result)
    }
  }
  const fanRows = [...fanout].map(([library, list]) => [library.name, count(settings.subscribers), orDash(medianOf(list, 'p50')), orDash(medianOf(list, 'p99')), each(list.map((r) => r.p50)), each(list.map((r) => r.p99))])

  const storm = { clients: settings.stormClients, processes: settings.stormProcesses, channels: 20, tick: 20, usersPerTick: 20, warmup: settings.stormWarmup, baseline: settings.stormBaseline, tail: settings.stormTail, drain: settings.stormDrain, signal: 'SIGKILL' }
  const storms = []
  for (let run = 0; run < settings.stormRuns; run++) {
    const result = await recoveryStorm(cluster, MP, storm)
    say(`storm, mp-socket run ${run + 1}: ${JSON.stringify({ ...result, excess: undefined })}`)
    storms.push(result)
  }
  const allBack = medianOf(storms, 'allBack')
  const complete = storms.every((r) => r.recovered === r.dropped)
  const faults = storms.reduce((total, r) => total + r.lost + r.duplicated + r.outOfOrder, 0)
  const stormRows = [
    [
      MP.name,
      count(storm.clients),
      each(storms.map((r) => r.dropped), String),
      each(storms.map((r) => r.recovered), String),
      orDash(allBack),
      each(storms.map((r) => r.allBack)),
      each(storms.map((r) => r.lost), String),
      each(storms.map((r) => r.duplicated), String),
      each(storms.map((r) => r.outOfOrder), String),
      `${(medianOf(storms, 'commandsPerClient') ?? 0).toFixed(1)} (${storms[Math.floor(storms.length / 2)].topCommands.join(', ')})`,
    ],
  ]
  const p99 = (library) => medianOf(fanout.get(library), 'p99')
  const verdicts = [
    `Fan-out to ${count(settings.subscribers)} over three nodes on the cluster: mp-socket p99 ${orDash(p99(MP))} ms, socket.io's sharded adapter p99 ${orDash(p99(SIO_SHARDED))} ms.`,
    `Recovery after SIGKILL on the cluster: ${complete ? 'complete in every run' : 'NOT complete in every run'}, all back in ${orDash(allBack)} ms (median); lost, duplicated or out of order over all runs: ${faults}.`,
  ]
  return [
    table(['library', 'subscribers on 3 nodes', 'p50 ms (median of runs)', 'p99 ms (median of runs)', 'p50 each run', 'p99 each run'], fanRows),
    table(['library', 'clients', 'on the killed node (each run)', 'recovered completely', 'all back, ms (median)', 'all back, each run', 'lost', 'duplicated', 'out of order', 'Redis commands per reconnected client (median; top commands)'], stormRows),
    verdicts.map((v) => `- ${v}`).join('\n'),
  ].join('\n\n')
}
