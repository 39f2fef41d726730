// Runs one bench server (node --expose-gc bench/servers/probed.mjs <server script>) with a probe on
// its IPC channel, so that the scale section reads the node's own figures at the moments it chooses
// (idle, after a fan-out): resident set and heap after a GC, open file descriptors, and the event
// loop's delay since the last reset (perf_hooks, the delay every socket's frames wait behind).
import { readdirSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { resolve } from 'node:path'

const delay = monitorEventLoopDelay({ resolution: 1 })
delay.enable()
const ms = (nanoseconds) => nanoseconds / 1e6

process.on('message', (message) => {
  if (message.type === 'reset') {
    delay.reset()
    return process.send({ type: 'reset' })
  }
  if (message.type !== 'probe') return
  if (message.gc) globalThis.gc?.()
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage()
  const { user, system } = process.cpuUsage()
  process.send({
    type: 'probe',
    rss,
    heapUsed,
    heapTotal,
    external,
    cpu: (user + system) / 1000,
    fds: readdirSync('/proc/self/fd').length,
    delay: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) },
  })
})
// The parent's end of the channel must not keep a stopped server alive, nor a server outlive it.
process.channel?.unref()
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'))

await import(resolve(process.argv[2]))
