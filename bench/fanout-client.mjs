// Push fan-out: node bench/fanout-client.mjs <port> <devices> <broadcastClients> <rounds>
// Time from POST /push to the last handler run, for one user on many devices and a broadcast.
import { percentiles } from './lib.mjs'
import { push, sdkClient } from './clients.mjs'

const [port, devices, broadcastClients, rounds] = process.argv.slice(2).map(Number)

async function measure(clients, body) {
  const times = []
  for (let round = 0; round < rounds; round++) {
    let remaining = clients.length
    const done = new Promise((resolve) => {
      for (const client of clients) client.once('bench', () => --remaining === 0 && resolve())
    })
    const started = performance.now()
    const { delivered } = await push(port, { ...body, msg: round })
    if (delivered !== clients.length) throw new Error(`delivered ${delivered}, expected ${clients.length}`)
    await done
    times.push(performance.now() - started)
  }
  return percentiles(times)
}

const sameUser = Array.from({ length: devices }, () => sdkClient(port, 'user:phone'))
await Promise.all(sameUser.map((client) => client.ready()))
const oneUser = await measure(sameUser, { event: 'bench', to: 'user:phone' })
for (const client of sameUser) client.close()

const everyone = Array.from({ length: broadcastClients }, (_, i) => sdkClient(port, `user:${i}`))
await Promise.all(everyone.map((client) => client.ready()))
const broadcast = await measure(everyone, { event: 'bench', to: '*' })
for (const client of everyone) client.close()
console.log(JSON.stringify({ oneUser, broadcast }))
process.exit(0)
