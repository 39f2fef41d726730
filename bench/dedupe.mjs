// What running each request once costs (issue 17): mp-socket request() against the reference
// server with dedupe off (DEDUPE=0), in memory (the default) and through Redis (REDIS_URL: the
// claim SET NX PX GET before a request runs, the reply SET after), at each concurrency; and the
// Redis commands each request cost, from INFO commandstats around the run.
import { median, ms, runClient, startServer, table } from './lib.mjs'

const MODES = [
  { key: 'off', name: 'dedupe off (DEDUPE=0)', env: { DEDUPE: '0' } },
  { key: 'memory', name: 'in memory (default)', env: {} },
  { key: 'redis', name: 'in Redis (REDIS_URL)', redis: true, env: {} },
]

/** `redis`: a redis-server of bench/cluster.mjs, flushed before each run in Redis. */
export async function dedupeSection({ requests, runs, concurrencies }, redis) {
  const rows = []
  const verdicts = []
  for (const concurrency of concurrencies) {
    const samples = new Map(MODES.map((mode) => [mode.key, []]))
    const commands = []
    // The modes take turns within each round, so that the machine's drift hits all alike.
    for (let run = 0; run < runs; run++) {
      for (const mode of MODES) {
        if (mode.redis) await redis.client.flushAll()
        const server = await startServer('bench/servers/mp.mjs', { ...mode.env, ...(mode.redis ? { REDIS_URL: redis.url } : {}) })
        try {
          const before = mode.redis && (await redis.commandCalls())
          samples.get(mode.key).push(await runClient('bench/client.mjs', ['mp', server.port, concurrency, requests, server.pid]))
          if (mode.redis) {
            const after = await redis.commandCalls()
            // The client's warm-up (bench/client.mjs) runs min(20,000, requests) more requests.
            const total = requests + Math.min(20_000, requests)
            const perCommand = Object.keys(after)
              .filter((name) => name !== 'info')
              .map((name) => [name, (after[name] - (before[name] || 0)) / total])
            commands.push(Object.fromEntries(perCommand))
          }
        } finally {
          await server.stop()
        }
      }
    }
    const result = (key) => {
      const of = samples.get(key)
      return { rps: median(of.map((s) => s.rps)), p50: median(of.map((s) => s.p50)), p99: median(of.map((s) => s.p99)), all: of.map((s) => s.rps), serverUs: of.map((s) => s.serverUs), steals: of.map((s) => s.steal) }
    }
    const off = result('off')
    const names = [...new Set(commands.flatMap((c) => Object.keys(c)))]
    const perName = names.map((name) => [name, median(commands.map((c) => c[name] || 0))]).sort((a, b) => b[1] - a[1])
    const perRequest = perName.reduce((sum, [, count]) => sum + count, 0)
    // The main ones by name; the rest (presence, pings, the login) is a few per run.
    const breakdown = perName.filter(([, count]) => count >= 0.01).map(([name, count]) => `${name.toUpperCase()} ${count.toFixed(2)}`).join(', ')
    for (const mode of MODES) {
      const r = result(mode.key)
      const redisCommands = mode.redis ? `${perRequest.toFixed(2)} (${breakdown})` : '0'
      rows.push([concurrency, mode.name, r.rps.toLocaleString('en'), `${(r.rps / off.rps).toFixed(2)}x`, ms(r.p50), ms(r.p99), median(r.serverUs).toFixed(1), `${(median(r.serverUs) / median(off.serverUs)).toFixed(2)}x`, redisCommands, r.all.map((v) => v.toLocaleString('en')).join(' / ')])
    }
    const memory = result('memory')
    const inRedis = result('redis')
    // The server's CPU per request, round by round: the cost that load on the machine moves least.
    const cpuRounds = memory.serverUs.map((cpu, round) => (cpu / off.serverUs[round]).toFixed(2)).join(' / ')
    // The % of the machine's CPU the host stole during each round's two runs (off, in memory).
    const stolen = off.steals.every((value) => value !== undefined)
      ? `; the host stole ${off.steals.map((value, round) => `${value.toFixed(1)}/${memory.steals[round].toFixed(1)}`).join(', ')} % of the CPU during off/in memory, round by round`
      : ''
    verdicts.push(
      `${concurrency} in flight: in memory the server spends ${cpuRounds}x the CPU per request of off, round by round (goal: within 10 %, 1.10x)${stolen}, at ${(memory.rps / off.rps).toFixed(2)}x of off in req/s, p99 ${ms(memory.p99)} ms against ${ms(off.p99)} ms; in Redis at ${(inRedis.rps / off.rps).toFixed(2)}x, p99 ${ms(inRedis.p99)} ms, ${perRequest.toFixed(2)} Redis commands per request`,
    )
  }
  return {
    markdown: table(['in flight', 'dedupe', 'req/s (median)', 'vs off', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'CPU vs off', 'Redis commands per request', 'req/s of each run'], rows),
    verdicts,
  }
}
