// Client memory: node --expose-gc bench/memory-client.mjs <port>
// Heap after garbage collection at 0, 100k and 200k requests (64 in flight): it must not grow.
import { sdkClient } from './clients.mjs'

const [port] = process.argv.slice(2).map(Number)
const client = sdkClient(port, 'user:memory')
await client.ready()

async function requests(count) {
  let next = 0
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next++ < count) await client.request('echo', { n: next })
  }))
}
const heap = async () => {
  await new Promise((resolve) => setTimeout(resolve, 50))
  global.gc()
  global.gc()
  return process.memoryUsage().heapUsed
}

await requests(20_000)
const start = await heap()
await requests(100_000)
const at100k = await heap()
await requests(100_000)
const at200k = await heap()
client.close()
console.log(JSON.stringify({ start, at100k, at200k, perRequest: (at200k - at100k) / 100_000 }))
process.exit(0)
