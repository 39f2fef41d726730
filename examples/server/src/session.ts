import { randomInt, randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'
import { CloseCode, ReplyCode } from './codes'
import { toJson } from './frames'
import { PING_SLICES } from './liveness'
import type { Position, Publication } from './streams'

export interface SessionSettings {
  /** Bytes a socket may have waiting to be sent before it is cut off as a slow consumer. */
  maxBuffered: number
  log: (...args: unknown[]) => void
}

/** A slow consumer gets this long to take its close frame before its TCP connection is destroyed. */
const CLOSE_GRACE = 1000
/** A replay frame not taken by the client's connection within this long makes it a slow consumer, in ms. */
const REPLAY_STALL = 10_000

/** One connected socket and what the server knows about it. */
export class Session {
  readonly id = randomUUID()
  /** Which slice of each ping interval this socket is pinged in (liveness.ts). */
  readonly pingSlice = randomInt(PING_SLICES)
  /** The logged-in user, once a login succeeded. */
  user?: string
  lastSeen: number
  loginTimer?: NodeJS.Timeout
  /** The client tracks positions (it gave `since` at login): its user pushes carry epoch and offset. */
  positioned = false
  /** Channels this socket follows. */
  readonly channels = new Set<string>()
  /** Live publications held back per stream while that stream's history is replayed to this socket. */
  readonly recovering = new Map<string, Publication[]>()
  /**
   * The last position sent (or covered by a recovery reply) per stream: a live publication at or
   * below it is one this socket already has. Pub/sub can deliver a publication after a replay that
   * already carried it (it was stored before the replay read the stream, announced after).
   */
  readonly latest = new Map<string, Position>()
  private windowStart: number
  private windowCount = 0
  /** Set once the server decided to close this socket: nothing more is sent. */
  private closing = false
  private terminateTimer?: NodeJS.Timeout

  constructor(
    readonly socket: WebSocket,
    private readonly settings: SessionSettings,
  ) {
    this.lastSeen = this.windowStart = Date.now()
  }

  get open() {
    return !this.closing && this.socket.readyState === this.socket.OPEN
  }

  /**
   * Sends a frame, unless the socket is closing. Past `maxBuffered` unsent bytes the socket is cut
   * off (4503), so that no number of slow phones can grow the server's memory without bound; the
   * client reconnects and recovers what it missed from history.
   */
  send(frame: string) {
    if (!this.open) return false
    this.socket.send(frame)
    if (this.socket.bufferedAmount > this.settings.maxBuffered) {
      this.cutOff()
      return false
    }
    return true
  }

  private cutOff() {
    if (this.closing) return
    this.settings.log('slow consumer cut off:', this.id, this.socket.bufferedAmount, 'bytes unsent')
    this.closing = true
    this.socket.close(CloseCode.slowConsumer, 'slow consumer')
    // Its close frame waits behind everything unsent: destroy the connection (and its buffers) soon.
    this.terminateTimer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE)
  }

  /**
   * Sends a frame of a replay, which may be far larger than `maxBuffered` in all: past half of it,
   * waits until the frame was handed to the kernel. A client that takes longer than `REPLAY_STALL`
   * for one frame is a slow consumer.
   */
  async sendPaced(frame: string) {
    if (!this.open) return
    if (this.socket.bufferedAmount < this.settings.maxBuffered / 2) return void this.send(frame)
    let stall: NodeJS.Timeout | undefined
    await new Promise<void>((resolve) => {
      stall = setTimeout(() => {
        this.cutOff()
        resolve()
      }, REPLAY_STALL)
      this.socket.send(frame, () => resolve())
    })
    clearTimeout(stall)
  }

  /** Answers request `uuid`; a frame without a uuid wants no answer. A body that is not JSON answers 500. */
  reply(uuid: unknown, error: number, body: unknown) {
    if (uuid === undefined) return
    let frame: string
    try {
      frame = toJson({ type: 'respon', event: uuid, data: { error, body } }, 'the reply')
    } catch (problem) {
      this.settings.log('reply to', uuid, 'not sent:', (problem as Error).message)
      frame = JSON.stringify({ type: 'respon', event: uuid, data: { error: ReplyCode.internal, body: 'reply could not be serialized' } })
    }
    this.send(frame)
  }

  /**
   * Closes with `code`, after a `{"type":"close","code","reason"}` frame: close codes are lost by
   * some runtimes (uni-h5 reports `{}`, Taro-H5 its own code), the frame is not.
   */
  close(code: number, reason: string) {
    if (this.closing) return
    this.send(JSON.stringify({ type: 'close', code, reason }))
    this.closing = true
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
    clearTimeout(this.terminateTimer)
  }
}
