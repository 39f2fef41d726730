// Where a process's garbage comes from: V8's sampling heap profiler, counting objects that minor
// and major GCs collected too, from start to exit; prints each function's bytes per unit of work.
//   node --import ./bench/heap-sampling.mjs bench/client.mjs mp PORT 64 100000
// HEAP_SAMPLING_PER: the units to divide by (default 120000: the client's 100,000 requests and its
// 20,000 of warm-up); HEAP_SAMPLING_OUT: a file to write instead of standard error. A server
// measured this way must exit normally (bench/servers/mp.mjs does on SIGTERM).
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'

const per = Number(process.env.HEAP_SAMPLING_PER || 120_000)
const session = new Session()
session.connect()
session.post('HeapProfiler.enable')
session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })

process.on('exit', () => {
  // The inspector answers a session of the same thread synchronously, so this runs before exit.
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) return console.error('heap sampling:', error.message)
    const bytes = new Map()
    const walk = ({ callFrame: { functionName, url, lineNumber }, selfSize, children }) => {
      const where = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`
      bytes.set(where, (bytes.get(where) || 0) + selfSize)
      children.forEach(walk)
    }
    walk(result.profile.head)
    const total = [...bytes.values()].reduce((sum, size) => sum + size, 0)
    const top = [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 25)
    const text = [`${Math.round(total / per)} B per unit in all`, ...top.map(([where, size]) => `${String(Math.round(size / per)).padStart(6)} B  ${where}`)].join('\n')
    if (process.env.HEAP_SAMPLING_OUT) writeFileSync(process.env.HEAP_SAMPLING_OUT, text + '\n')
    else console.error(text)
  })
})
