// Request/reply throughput and latency: mp-socket's request() against the reference server,
// socket.io 4 emitWithAck (websocket transport), and raw ws with a hand-written exchange, against a
// bare ws server and against the reference server.
import { median, ms, runClient, startServer, table } from './lib.mjs'

const us = (value) => value.toFixed(1)

const LIBRARIES = [
  { key: 'mp', name: 'mp-socket request()', server: 'bench/servers/mp.mjs' },
  // The hand-written client against mp-socket's server: what of mp-socket's figures is the server's.
  { key: 'raw-reference', name: 'raw ws client, reference server', server: 'bench/servers/mp.mjs' },
  { key: 'socketio', name: 'socket.io 4 emitWithAck', server: 'bench/servers/socketio.mjs' },
  { key: 'raw', name: 'raw ws, hand-written', server: 'bench/servers/raw.mjs' },
]

export async function throughput({ requests, runs, concurrencies }) {
  const results = []
  for (const concurrency of concurrencies) {
    const samples = new Map(LIBRARIES.map((library) => [library, []]))
    // The libraries take turns within each round, so that the machine's drift hits all alike.
    for (let run = 0; run < runs; run++) {
      for (const library of LIBRARIES) {
        const server = await startServer(library.server)
        try {
          samples.get(library).push(await runClient('bench/client.mjs', [library.key, server.port, concurrency, requests, server.pid]))
        } finally {
          await server.stop()
        }
      }
    }
    for (const [library, runsOf] of samples) {
      results.push({
        concurrency,
        library,
        rps: median(runsOf.map((s) => s.rps)),
        p50: median(runsOf.map((s) => s.p50)),
        p99: median(runsOf.map((s) => s.p99)),
        p999: median(runsOf.map((s) => s.p999)),
        p99s: runsOf.map((s) => s.p99),
        steals: runsOf.map((s) => s.steal),
        all: runsOf.map((s) => s.rps),
        clientUs: median(runsOf.map((s) => s.clientUs)),
        serverUs: median(runsOf.map((s) => s.serverUs)),
        // Each run's client + server CPU per request: compared round by round with raw ws.
        cpu: runsOf.map((s) => s.clientUs + s.serverUs),
      })
    }
  }
  const rows = results.map((r) => {
    const raw = results.find((x) => x.concurrency === r.concurrency && x.library.key === 'raw')
    return [r.concurrency, r.library.name, r.rps.toLocaleString('en'), `${(r.rps / raw.rps).toFixed(2)}x`, ms(r.p50), ms(r.p99), ms(r.p999), us(r.clientUs), us(r.serverUs), `${(median(raw.cpu) / median(r.cpu)).toFixed(2)}x`, r.all.map((v) => v.toLocaleString('en')).join(' / ')]
  })
  const find = (concurrency, key) => results.find((x) => x.concurrency === concurrency && x.library.key === key)
  /** Raw ws's CPU per request over the library's, in each round: 1 would be the raw pair's cost. */
  const cpuRounds = (concurrency, key) => find(concurrency, key).cpu.map((cpu, round) => find(concurrency, 'raw').cpu[round] / cpu)
  const ratio = (concurrency, key) => {
    const find = (k) => results.find((x) => x.concurrency === concurrency && x.library.key === k)
    return find(key).rps / find('raw').rps
  }
  return {
    results,
    markdown: table(['in flight', 'library', 'req/s (median)', 'vs raw ws', 'p50 ms', 'p99 ms', 'p99.9 ms', 'client CPU µs/req', 'server CPU µs/req', 'CPU vs raw ws', 'req/s of each run'], rows),
    verdicts: concurrencies.map((c) => {
      const p99 = (key) => ms(results.find((x) => x.concurrency === c && x.library.key === key).p99)
      const rounds = (key) => cpuRounds(c, key).map((x) => x.toFixed(2)).join(' / ')
      const p99Rounds = find(c, 'mp').p99s.map((p, round) => p <= find(c, 'socketio').p99s[round])
      // Each round's two p99s, with the % of the machine's CPU the host stole during each run.
      const stolen = (value) => (value === undefined ? '' : ` (${value.toFixed(1)} % stolen)`)
      const pairs = find(c, 'mp').p99s.map((p, round) => `${ms(p)}${stolen(find(c, 'mp').steals[round])} vs ${ms(find(c, 'socketio').p99s[round])}${stolen(find(c, 'socketio').steals[round])}`).join(', ')
      return `${c} in flight: mp-socket at ${ratio(c, 'mp').toFixed(2)}x raw ws in req/s (goal 0.95x), socket.io at ${ratio(c, 'socketio').toFixed(2)}x; in CPU per request (client + server) mp-socket at ${rounds('mp')}x of raw ws's round by round, socket.io at ${rounds('socketio')}x; p99 ${p99('mp')} ms against socket.io's ${p99('socketio')} ms (goal: at or below in every round: ${p99Rounds.filter(Boolean).length} of ${p99Rounds.length}; round by round ${pairs}) and ${p99('raw-reference')} ms for the hand-written client on the same server`
    }),
  }
}
