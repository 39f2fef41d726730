// Request/reply throughput and latency: mp-socket's request() against the reference server,
// socket.io 4 emitWithAck (websocket transport), and raw ws with a hand-written exchange, against a
// bare ws server and against the reference server.
import { median, ms, runClient, startServer, table } from './lib.mjs'

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
          samples.get(library).push(await runClient('bench/client.mjs', [library.key, server.port, concurrency, requests]))
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
        all: runsOf.map((s) => s.rps),
      })
    }
  }
  const rows = results.map((r) => {
    const raw = results.find((x) => x.concurrency === r.concurrency && x.library.key === 'raw')
    return [r.concurrency, r.library.name, r.rps.toLocaleString('en'), `${(r.rps / raw.rps).toFixed(2)}x`, ms(r.p50), ms(r.p99), ms(r.p999), r.all.map((v) => v.toLocaleString('en')).join(' / ')]
  })
  const ratio = (concurrency, key) => {
    const find = (k) => results.find((x) => x.concurrency === concurrency && x.library.key === k)
    return find(key).rps / find('raw').rps
  }
  return {
    results,
    markdown: table(['in flight', 'library', 'req/s (median)', 'vs raw ws', 'p50 ms', 'p99 ms', 'p99.9 ms', 'req/s of each run'], rows),
    verdicts: concurrencies.map((c) => {
      const p99 = (key) => ms(results.find((x) => x.concurrency === c && x.library.key === key).p99)
      return `${c} in flight: mp-socket at ${ratio(c, 'mp').toFixed(2)}x raw ws (goal 0.95x), socket.io at ${ratio(c, 'socketio').toFixed(2)}x; p99 ${p99('mp')} ms against socket.io's ${p99('socketio')} ms (goal: at or below) and ${p99('raw-reference')} ms for the hand-written client on the same server`
    }),
  }
}
