import { randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'

/** One connected socket and what the server knows about it. */
export class Session {
  readonly id = randomUUID()
  /** The logged-in user, once a login succeeded. */
  user?: string
  lastSeen: number
  loginTimer?: NodeJS.Timeout
  private windowStart: number
  private windowCount = 0

  constructor(readonly socket: WebSocket) {
    this.lastSeen = this.windowStart = Date.now()
  }

  get open() {
    return this.socket.readyState === this.socket.OPEN
  }

  send(frame: string) {
    if (this.open) this.socket.send(frame)
  }

  /** Answers request `uuid`; a frame without a uuid wants no answer. */
  reply(uuid: unknown, error: number, body: unknown) {
    if (uuid === undefined) return
    this.send(JSON.stringify({ type: 'respon', event: uuid, data: { error, body } }))
  }

  close(code: number, reason: string) {
    this.socket.close(code, reason)
  }

  /** Counts a frame against `limit` per window; true once the socket is over it. */
  overRate(limit: { messages: number; interval: number } | false, now: number) {
    if (!limit) return false
    if (now - this.windowStart >= limit.interval) {
      this.windowStart = now
      this.windowCount = 0
    }
    return ++this.windowCount > limit.messages
  }

  /** Stops every timer of this session. */
  dispose() {
    clearTimeout(this.loginTimer)
  }
}
