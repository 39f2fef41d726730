import type { AddressInfo } from 'node:net'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'

/** One socket a client opened, as the server saw it. */
export interface ServerConnection {
  socket: WebSocket
  /** The request path and query, e.g. `/ws?token=fresh`. */
  url: string
  /** The login payloads it sent, in order. */
  logins: unknown[]
  /** The binary frames it sent, as byte arrays. */
  binary: number[][]
}

/**
 * A small server for the browser suites that speaks the SDK's default JSON protocol (docs/protocol.md):
 * it accepts every login, answers `echo` with its data and any other request with `null`, records
 * every connection, and ends one the way a backend ends it for good: a close frame
 * `{"type":"close",...}` then the close code, or the code alone. Listens on 127.0.0.1, a free port.
 */
export async function startDecisionServer() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const connections: ServerConnection[] = []
  /** When set, every accepted login is answered and then ended with this decision. */
  let endEveryLogin: { code: number; reason: string; frame: boolean } | undefined

  server.on('connection', (socket, request) => {
    const connection: ServerConnection = { socket, url: request.url || '', logins: [], binary: [] }
    connections.push(connection)
    // A client that goes away abruptly is normal here (kicks, page closes): not a test failure.
    socket.on('error', () => {})
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
      if (isBinary) return void connection.binary.push([...bytes])
      let frame: { event?: unknown; data?: unknown; uuid?: unknown }
      try {
        frame = JSON.parse(bytes.toString('utf8'))
      } catch {
        return
      }
      if (frame.uuid === undefined) return
      if (frame.event === 'login') connection.logins.push(frame.data)
      const body = frame.event === 'echo' ? frame.data : null
      socket.send(JSON.stringify({ type: 'respon', event: frame.uuid, data: { error: 0, body } }))
      if (frame.event === 'login' && endEveryLogin) end(connection, endEveryLogin.code, endEveryLogin.reason, { frame: endEveryLogin.frame })
    })
  })

  /** Ends a connection with `code`: with `frame`, the close frame the SDK reads goes first. */
  function end(connection: ServerConnection, code: number, reason: string, { frame }: { frame: boolean }) {
    if (frame) connection.socket.send(JSON.stringify({ type: 'close', code, reason }))
    connection.socket.close(code, reason)
  }

  const { port } = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    connections,
    /** The connections that logged in. */
    loggedIn: () => connections.filter((connection) => connection.logins.length > 0),
    end,
    /** From now on, ends every connection right after its login (a user banned or logged in elsewhere). */
    endEveryLogin(code: number, reason: string, { frame }: { frame: boolean }) {
      endEveryLogin = { code, reason, frame }
    },
    /** Sends text and binary frames, in this order, on a connection. */
    sendFrames(connection: ServerConnection, frames: Array<string | Uint8Array>) {
      for (const frame of frames) connection.socket.send(frame, { binary: typeof frame !== 'string' })
    },
    close() {
      for (const client of server.clients) client.terminate()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export type DecisionServer = Awaited<ReturnType<typeof startDecisionServer>>
