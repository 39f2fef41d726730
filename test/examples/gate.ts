import { createServer, connect, type AddressInfo, type Socket } from 'node:net'

/**
 * A TCP relay to a server that can go "offline": `shut()` resets every connection through it and
 * refuses new ones at once (a client sees a failed connect and backs off), `open()` lets them
 * through again. Unlike a blackhole, a refused connect does not wait for a connect timeout.
 */
export async function startGate(targetPort: number) {
  const pairs = new Set<[Socket, Socket]>()
  let refusing = false
  const server = createServer((client) => {
    if (refusing) return void client.resetAndDestroy()
    const upstream = connect(targetPort, '127.0.0.1')
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    client.pipe(upstream)
    upstream.pipe(client)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    shut() {
      refusing = true
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy()
        upstream.destroy()
      }
    },
    open: () => void (refusing = false),
    async close() {
      this.shut()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
