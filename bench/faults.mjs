// Duplicates and losses under one fault schedule (issue 17): socket.io 4 with `retries: 3` and
// `ackTimeout` against mp-socket with its defaults against the reference server (dedupe on), the
// same clients, calls and connection resets for both (bench/faults-client.mjs).
import { runClient, startServer, table } from './lib.mjs'

const LIBRARIES = [
  { key: 'mp', name: 'mp-socket request() (defaults; server dedupe on)', server: 'bench/servers/mp.mjs' },
  { key: 'socketio', name: 'socket.io 4 emitWithAck, retries: 3, ackTimeout: 2000', server: 'bench/servers/socketio.mjs' },
]

export async function faultsSection({ faultClients, faultRequests, faultCutEvery, faultRuns }) {
  const rows = []
  // The libraries take turns, a fresh server for each run.
  const results = new Map(LIBRARIES.map((library) => [library, []]))
  for (let run = 0; run < faultRuns; run++) {
    for (const library of LIBRARIES) {
      const server = await startServer(library.server)
      try {
        results.get(library).push(await runClient('bench/faults-client.mjs', [library.key, server.port, faultClients, faultRequests, faultCutEvery], { timeout: 600_000 }))
      } finally {
        await server.stop()
      }
    }
  }
  for (const [library, runs] of results) {
    const sum = (field) => runs.reduce((total, run) => total + run[field], 0)
    const each = (field) => runs.map((run) => run[field]).join(' / ')
    const by = {}
    for (const run of runs) for (const [name, count] of Object.entries(run.failedBy)) by[name] = (by[name] || 0) + count
    const kinds = Object.entries(by).map(([name, count]) => `${count} ${name}`).join(', ')
    rows.push([library.name, sum('calls').toLocaleString('en'), sum('cuts'), `${sum('failed')} (${each('failed')})${kinds ? `: ${kinds}` : ''}`, sum('failedButRan'), `${sum('extraRuns')} (${each('extraRuns')})`, sum('duplicatedKeys'), sum('neverRan')])
  }
  return table(['library', 'calls', 'resets', 'failed (each run): by error', 'failed but ran', 'extra runs: duplicates (each run)', 'keys run twice or more', 'never ran'], rows)
}
