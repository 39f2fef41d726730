// The multi-node sections of `npm run bench` (issue 12): recovery storm, channel fan-out with memory
// per idle subscribed socket, and history cost in Redis; mp-socket and socket.io 4 with
// @socket.io/redis-streams-adapter take turns on the same redis-server in every round.
import { channelFanout } from './channels.mjs'
import { LIBRARIES } from './cluster.mjs'
import { historyCost } from './history.mjs'
import { median, ms, table } from './lib.mjs'
import { recoveryStorm } from './recovery.mjs'

/** `nodes 158 (user 60, system 98), clients …, redis …`: CPU ms per round of each group of processes. */
const cpuLine = (cpu) =>
  Object.entries(cpu)
    .map(([name, { user, system }]) => `${name} ${ms(user + system)} (user ${ms(user)}, system ${ms(system)})`)
    .join(', ')
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`
const count = (n) => n.toLocaleString('en')
const orDash = (value, format = ms) => (value === null || value === undefined ? '-' : format(value))
const each = (values, format = ms) => values.map((v) => orDash(v, format)).join(' / ')
const medianOf = (runs, key) => {
  const values = runs.map((run) => run[key]).filter((v) => v !== null && v !== undefined)
  return values.length ? median(values) : null
}

export async function recoverySection(redis, settings, say) {
  const storm = {
    clients: settings.stormClients,
    processes: settings.stormProcesses,
    channels: 20,
    tick: 20,
    usersPerTick: 20,
    warmup: settings.stormWarmup,
    baseline: settings.stormBaseline,
    tail: settings.stormTail,
    drain: settings.stormDrain,
  }
  const rows = []
  const results = {}
  for (const [signal, runs] of [['SIGKILL', settings.stormRuns], ['SIGTERM', 1]]) {
    const samples = new Map(LIBRARIES.map((library) => [library, []]))
    for (let run = 0; run < runs; run++) {
      for (const library of LIBRARIES) {
        const result = await recoveryStorm(redis, library, { ...storm, signal })
        say(`${library.name} ${signal} run ${run + 1}: ${JSON.stringify({ ...result, excess: undefined })}`)
        samples.get(library).push(result)
      }
    }
    for (const [library, list] of samples) {
      const all = medianOf(list, 'allBack')
      const complete = list.every((r) => r.recovered === r.dropped)
      results[`${library.key}:${signal}`] = { list, all, complete }
      rows.push([
        signal,
        library.name,
        count(storm.clients),
        each(list.map((r) => r.dropped), String),
        each(list.map((r) => r.recovered), String),
        orDash(all),
        each(list.map((r) => r.allBack)),
        orDash(medianOf(list, 'p50')),
        each(list.map((r) => r.lost), String),
        each(list.map((r) => r.duplicated), String),
        each(list.map((r) => r.outOfOrder), String),
        `${orDash(medianOf(list, 'commandsPerClient'), (v) => v.toFixed(1))} (${list[Math.floor(list.length / 2)].topCommands.join(', ')})`,
      ])
    }
  }
  const mp = results['mp:SIGKILL']
  const sio = results['sio:SIGKILL']
  const lost = (r) => r.list.reduce((a, b) => a + b.lost + b.duplicated + b.outOfOrder, 0)
  const verdicts = [
    `Recovery of all ${count(storm.clients)} clients' missed messages after SIGKILL: mp-socket ${mp.complete ? 'complete in every run' : 'NOT complete in every run'}, all back in ${orDash(mp.all)} ms (median; goal < 3,000 ms): ${mp.complete && mp.all !== null && mp.all < 3000 ? 'met' : 'missed'}.`,
    `Lost, duplicated or out-of-order messages over all runs: mp-socket ${lost(mp)} (goal 0: ${lost(mp) === 0 ? 'met' : 'missed'}), socket.io ${lost(sio)}.`,
    `socket.io recovered ${each(sio.list.map((r) => r.recovered), String)} of ${each(sio.list.map((r) => r.dropped), String)} sockets of the killed node; mp-socket ${each(mp.list.map((r) => r.recovered), String)}.`,
  ]
  return {
    markdown: `${table(['kill', 'library', 'clients', 'on the killed node (each run)', 'recovered completely', 'all back, ms (median)', 'all back, each run', 'p50 back, ms', 'lost', 'duplicated', 'out of order', 'Redis commands per reconnected client (median; top commands)'], rows)}\n\n${verdicts.map((v) => `- ${v}`).join('\n')}`,
    storm,
  }
}

export async function channelsSection(redis, settings, say) {
  const samples = new Map(LIBRARIES.map((library) => [library, []]))
  for (let run = 0; run < settings.fanRuns; run++) {
    for (const library of LIBRARIES) {
      const result = await channelFanout(redis, library, { subscribers: settings.subscribers, processes: settings.fanProcesses, rounds: settings.fanRounds, warmupRounds: settings.fanWarmup, settle: settings.fanSettle })
      say(`${library.name} run ${run + 1}: p50 ${ms(result.p50)} p99 ${ms(result.p99)} ms, CPU ms per round ${cpuLine(result.cpu)}, ${kb(result.perSocket)} per socket; rounds ${result.times.map((t) => t.toFixed(0)).join(' ')}`)
      samples.get(library).push(result)
    }
  }
  const rows = [...samples].map(([library, list]) => [
    library.name,
    count(settings.subscribers),
    ms(medianOf(list, 'p50')),
    ms(medianOf(list, 'p99')),
    each(list.map((r) => r.p50)),
    each(list.map((r) => r.p99)),
    ms(medianOf(list, 'cpuPerRound')),
    each(list.map((r) => r.cpuPerRound)),
    ms(medianOf(list, 'clientCpuPerRound')),
    each(list.map((r) => r.clientCpuPerRound)),
    kb(medianOf(list, 'perSocket')),
    each(list.map((r) => r.perSocket), kb),
  ])
  const p99 = (key) => medianOf(samples.get(LIBRARIES.find((l) => l.key === key)), 'p99')
  const p50 = (key) => medianOf(samples.get(LIBRARIES.find((l) => l.key === key)), 'p50')
  const verdicts = [
    `Fan-out to ${count(settings.subscribers)}: mp-socket p99 ${ms(p99('mp'))} ms (goal < 250 ms: ${p99('mp') < 250 ? 'met' : 'missed'}), p50 ${ms(p50('mp'))} ms; socket.io p99 ${ms(p99('sio'))} ms, p50 ${ms(p50('sio'))} ms.`,
  ]
  return table(['library', 'subscribers on 3 nodes', 'p50 ms (median of runs)', 'p99 ms (median of runs)', 'p50 each run', 'p99 each run', "nodes' CPU ms per round (median of runs)", 'each run', "client processes' CPU ms per round (median of runs)", 'each run', 'server RSS per idle subscribed socket', 'each run'], rows) + `\n\n${verdicts.map((v) => `- ${v}`).join('\n')}`
}

export async function historySection(redis, settings) {
  const rows = []
  const results = {}
  for (const library of LIBRARIES) {
    const result = await historyCost(redis, library, { messages: settings.historyMessages, runs: settings.historyRuns })
    results[library.key] = result
    const columns = ['channel', 'users', 'second', 'third', 'threeEach'].flatMap((name) => [kb(result[name]), each(result.samples[name], kb)])
    rows.push([library.name, ...columns])
  }
  const goal = 610 * 1024
  const verdicts = [
    `Three pushes to each of 1,000 users: mp-socket ${kb(results.mp.threeEach)} (goal <= 610 KB: ${results.mp.threeEach <= goal ? 'met' : 'missed'}), socket.io ${kb(results.sio.threeEach)}.`,
  ]
  const header = ['library', '1,000 messages on one channel', 'each run', '1,000 messages, one to each of 1,000 users', 'each run', 'then a second to each', 'each run', 'then a third to each', 'each run', 'three to each, in all', 'each run']
  return `${table(header, rows)}\n\n${verdicts.map((v) => `- ${v}`).join('\n')}`
}
