import { WebSocket } from 'ws'

/** A bare `ws` client speaking the protocol by hand, to poke the server with good and bad frames. */
export async function rawClient(url: string) {
  const socket = new WebSocket(url)
  const messages: any[] = []
  const waiters: Array<() => void> = []
  let closed: { code: number; reason: string } | undefined
  socket.on('message', (data) => {
    try {
      messages.push(JSON.parse(String(data)))
    } catch {
      messages.push(String(data))
    }
    for (const wake of waiters.splice(0)) wake()
  })
  socket.on('close', (code, reason) => {
    closed = { code, reason: String(reason) }
    for (const wake of waiters.splice(0)) wake()
  })
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  // Request ids unique per user across sockets, as the protocol asks: the server deduplicates by them.
  const prefix = `r${Math.random().toString(36).slice(2, 8)}-`
  let counter = 0
  const client = {
    socket,
    messages,
    get closed() {
      return closed
    },
    send: (frame: unknown) => socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame)),
    /** Waits until `predicate` holds for a received message (or the socket closed), up to `timeout`. */
    async waitFor<T = any>(predicate: (message: any) => boolean, timeout = 5000): Promise<T> {
      const deadline = Date.now() + timeout
      for (;;) {
        const found = messages.find(predicate)
        if (found !== undefined) return found
        if (closed) throw new Error(`socket closed (${closed.code} ${closed.reason}) before the message came`)
        const left = deadline - Date.now()
        if (left <= 0) throw new Error('timed out waiting for a message')
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
    },
    async waitClose(timeout = 5000) {
      const deadline = Date.now() + timeout
      while (!closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
      if (!closed) throw new Error('socket did not close')
      return closed
    },
    /** Sends a request and resolves with the reply's data `{error, body}`. */
    async request(event: unknown, data?: unknown) {
      const uuid = `${prefix}${++counter}`
      client.send({ event, data, uuid })
      const reply = await client.waitFor((message) => message.type === 'respon' && message.event === uuid)
      return reply.data as { error: number; body: any }
    },
    close: () => socket.terminate(),
  }
  return client
}
