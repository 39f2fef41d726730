import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import type { WebSocket } from 'ws'
import { CloseCode, ReplyCode } from './codes'
import { toJson } from './frames'
import { frameSenderOf, type FrameSender, type PreparedFrame } from './prepared'
import type { Position, Publication } from './streams'

export interface SessionSettings {
  /** A socket not logged in by then is closed with 4401, in ms. */
  loginTimeout: number
  /** Bytes a socket may have waiting to be sent before it is cut off as a slow consumer. */
  maxBuffered: number
  log: (...args: unknown[]) => void
}

/**
 * Where a session is in its life: waiting for its login (URL or frame), logged in, or closing
 * (the server decided to close it, or its socket closed). It only moves forward, except that a
 * ready session may log in again as someone else and stay ready.
 */
export type SessionPhase = 'awaiting-login' | 'ready' | 'closing'

/** A slow consumer gets this long to take its close frame before its TCP connection is destroyed. */
const CLOSE_GRACE = 1000
/** A replay frame not taken by the client's connection within this long makes it a slow consumer, in ms. */
const REPLAY_STALL = 10_000

const UNSERIALIZABLE = 'reply could not be serialized'

/** ws's TCP socket of a WebSocket, if this version of ws keeps it where 8.x does (`_socket`). */
function streamOf(socket: WebSocket): Writable | undefined {
  const stream: unknown = Reflect.get(socket, '_socket')
  return stream instanceof Writable ? stream : undefined
}

/** A reply's `data`, `{"error":…,"body":…}`, as JSON text; a body that is not JSON makes it a 500. */
export function replyData(error: number, body: unknown, log: (...args: unknown[]) => void): string {
  try {
    return toJson({ error, body }, 'the reply')
  } catch (problem) {
    log('reply not sent:', (problem as Error).message)
    return JSON.stringify({ error: ReplyCode.internal, body: UNSERIALIZABLE })
  }
}

/** One connected socket and what the server knows about it. */
export class Session {
  readonly id = randomUUID()
  /** The logged-in user, once a login succeeded (set by `Sessions.bind`). */
  user?: string
  lastSeen: number
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
  private current: SessionPhase = 'awaiting-login'
  private readonly loginTimer: NodeJS.Timeout
  private terminateTimer?: NodeJS.Timeout
  private readonly sender: FrameSender | undefined
  private readonly stream: Writable | undefined
  private corked = false

  /** `ended` runs once, when the socket has closed, whoever closed it: the one end of a session. */
  constructor(
    readonly socket: WebSocket,
    private readonly settings: SessionSettings,
    ended: (session: Session) => void,
  ) {
    this.lastSeen = this.windowStart = Date.now()
    this.sender = frameSenderOf(socket)
    this.stream = streamOf(socket)
    this.loginTimer = setTimeout(() => this.close(CloseCode.loginTimeout, 'login timeout'), settings.loginTimeout)
    socket.once('close', () => {
      this.current = 'closing'
      clearTimeout(this.loginTimer)
      clearTimeout(this.terminateTimer)
      ended(this)
    })
  }

  get phase(): SessionPhase {
    return this.current
  }

  /** Once closing, nothing more is sent. */
  get open() {
    return this.current !== 'closing' && this.socket.readyState === this.socket.OPEN
  }

  /** A login succeeded: the login deadline no longer applies. */
  loggedIn() {
    if (this.current === 'closing') return
    this.current = 'ready'
    clearTimeout(this.loginTimer)
  }

  /**
   * Holds this socket's writes until the end of the current tick (`process.nextTick`), then hands
   * them to the kernel in one `writev`. Called for each incoming frame: one read from the network
   * often carries many requests (dozens at 64 in flight), and each reply was a syscall of its own,
   * a third of the server's CPU in a profile at 64 in flight. Replies keep their order; a frame
   * that arrives alone still leaves within the same tick.
   */
  batch() {
    if (this.corked || !this.stream) return
    this.corked = true
    this.stream.cork()
    process.nextTick(Session.release, this)
  }

  private static release(session: Session) {
    session.corked = false
    session.stream?.uncork()
  }

  /**
   * Sends a frame, unless the socket is closing. Past `maxBuffered` unsent bytes the socket is cut
   * off (4503), so that no number of slow phones can grow the server's memory without bound; the
   * client reconnects and recovers what it missed from history. A prepared frame (prepared.ts)
   * goes out as its bytes, the same on the wire as its text through `socket.send`.
   */
  send(frame: string | PreparedFrame) {
    if (!this.open) return false
    if (typeof frame === 'string') this.socket.send(frame)
    else if (this.sender?._state === 0) this.sender.sendFrame([frame.bytes])
    else this.socket.send(frame.text)
    if (this.socket.bufferedAmount > this.settings.maxBuffered) {
      this.cutOff()
      return false
    }
    return true
  }

  private cutOff() {
    if (this.current === 'closing') return
    this.settings.log('slow consumer cut off:', this.id, this.socket.bufferedAmount, 'bytes unsent')
    this.current = 'closing'
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
      frame = JSON.stringify({ type: 'respon', event: uuid, data: { error: ReplyCode.internal, body: UNSERIALIZABLE } })
    }
    this.send(frame)
  }

  /** Answers request `uuid` with a reply's `data` already serialized (`replyData`): the same frame as `reply`. */
  replyWith(uuid: string | number, data: string) {
    this.send(`{"type":"respon","event":${JSON.stringify(uuid)},"data":${data}}`)
  }

  /**
   * Closes with `code`, after a `{"type":"close","code","reason"}` frame: close codes are lost by
   * some runtimes (uni-h5 reports `{}`, Taro-H5 its own code), the frame is not.
   */
  close(code: number, reason: string) {
    if (this.current === 'closing') return
    this.send(JSON.stringify({ type: 'close', code, reason }))
    this.current = 'closing'
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
}
