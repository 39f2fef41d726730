import { ms, runClient, startServer, table } from './lib.mjs'

export async function fanout({ devices, broadcast, rounds }) {
  const server = await startServer('bench/servers/mp.mjs')
  try {
    const result = await runClient('bench/fanout-client.mjs', [server.port, devices, broadcast, rounds], { timeout: 300_000 })
    return table(
      ['push', 'sockets', 'p50 ms', 'p99 ms', 'max ms'],
      [
        [`one user on ${devices} devices`, devices, ms(result.oneUser.p50), ms(result.oneUser.p99), ms(result.oneUser.max)],
        [`broadcast (to: "*")`, broadcast, ms(result.broadcast.p50), ms(result.broadcast.p99), ms(result.broadcast.max)],
      ],
    )
  } finally {
    await server.stop()
  }
}
