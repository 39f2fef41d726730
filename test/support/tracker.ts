import { signToken } from '../../examples/server/src/token'
import { rawClient } from './raw'

interface Position {
  epoch: string
  offset: number
}

/**
 * What the SDK will do with positions (docs/protocol.md), by hand over a raw socket: keeps the last
 * position handled per stream across reconnects, presents it at login and subscribe, and hands each
 * publication to `handled` once (anything at or below the kept offset of the same epoch is dropped
 * and counted as a duplicate).
 */
export class Tracker {
  readonly positions = new Map<string, Position>()
  /** `<stream>:<msg>` in the order handled; stream is `user` or the channel name. */
  readonly handled: string[] = []
  duplicates = 0
  /** The `recovered` flag of the last login ('user') and of each subscribe (channel name). */
  readonly recovered = new Map<string, boolean>()
  socket?: Awaited<ReturnType<typeof rawClient>>

  constructor(
    readonly user: string,
    readonly secret: string,
    readonly channels: string[] = [],
  ) {}

  private take(frame: any) {
    if (frame?.type !== 'app' || typeof frame.epoch !== 'string') return
    const key = typeof frame.channel === 'string' ? frame.channel : 'user'
    const kept = this.positions.get(key)
    if (kept && kept.epoch === frame.epoch && frame.offset <= kept.offset) {
      this.duplicates++
      return
    }
    this.positions.set(key, { epoch: frame.epoch, offset: frame.offset })
    this.handled.push(`${key}:${typeof frame.msg === 'string' ? frame.msg : JSON.stringify(frame.msg)}`)
  }

  private settle(key: string, body: { epoch?: string; offset?: number; recovered: boolean }) {
    this.recovered.set(key, body.recovered)
    const kept = this.positions.get(key)
    if (body.epoch === undefined || body.offset === undefined) return
    if (!kept || kept.epoch !== body.epoch || kept.offset < body.offset) this.positions.set(key, { epoch: body.epoch, offset: body.offset })
  }

  /** Connects to `url`, logs in and subscribes, presenting the positions kept. */
  async connect(url: string) {
    const socket = await rawClient(url)
    this.socket = socket
    socket.socket.on('message', (data) => {
      try {
        this.take(JSON.parse(String(data)))
      } catch {
        // not JSON: not ours to track
      }
    })
    const login = await socket.request('login', { u: this.user, token: signToken(this.secret, this.user), since: this.positions.get('user') ?? null })
    if (login.error !== 0) throw new Error(`login failed: ${JSON.stringify(login)}`)
    this.settle('user', login.body)
    for (const channel of this.channels) {
      const reply = await socket.request('subscribe', { channel, since: this.positions.get(channel) ?? null })
      if (reply.error !== 0) throw new Error(`subscribe failed: ${JSON.stringify(reply)}`)
      this.settle(channel, reply.body)
    }
    return socket
  }

  /** Drops the connection without a close frame, as a tunnel or a killed app would. */
  drop() {
    this.socket?.socket.terminate()
  }

  of(stream: string) {
    return this.handled.filter((line) => line.startsWith(`${stream}:`)).map((line) => line.slice(stream.length + 1))
  }
}
