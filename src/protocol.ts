/** What a runtime hands over from the socket: text or binary. */
export type Frame = string | ArrayBuffer

/** A message's place in its stream (the user's pushes, or one channel): Centrifugo's model. */
export interface Position {
  /** Changes whenever the stream's history is lost; offsets of another epoch are not comparable. */
  epoch: string
  offset: number
}

/**
 * What an encoder may return: text, or binary as an `ArrayBuffer` or a view of one (a `Uint8Array`...).
 * A view goes out as exactly its own bytes, never the whole buffer behind it.
 */
export type OutgoingFrame = Frame | ArrayBufferView

/** One decoded incoming frame. */
export type Incoming =
  /** The answer to a request sent with `encodeRequest(id, ...)`. */
  | { kind: 'reply'; id: string | number; ok: boolean; body: unknown; code?: unknown }
  /**
   * A message pushed by the server: every handler of `event` gets `message`. With `channel`, a
   * publication to that channel (its subscription's handlers get it); with `position`, its place in
   * its stream, which the client keeps to drop duplicates and to recover what it missed.
   */
  | { kind: 'push'; event: string; message: unknown; channel?: string; position?: Position }
  /** A liveness check from the server, answered at once with `encodePong(id)`. */
  | { kind: 'ping'; id: unknown }
  /**
   * The server is closing the connection with `code` (sent just before the close itself, because
   * close codes do not survive every runtime). Codes the `finalClose` option deems final stop the
   * client; others reconnect.
   */
  | { kind: 'close'; code: number; reason: string }

/**
 * The wire format: how requests, one-way messages, pongs and login are written, and how incoming
 * frames are read. The default, {@link jsonProtocol}, is the format of the Laravel/Swoole server the
 * SDK grew from; pass your own to talk to another backend. See docs/protocol.md.
 */
export interface Protocol {
  /**
   * Reads one incoming frame. Return `undefined` for a frame to ignore. Throwing is allowed
   * (the frame is then ignored and logged in debug mode) but not needed.
   */
  decode(frame: Frame): Incoming | undefined
  /** A request that the server answers with a reply carrying the same `id`. */
  encodeRequest(id: string, event: string, data: unknown): OutgoingFrame
  /** A one-way message: no reply is expected. */
  encodeSend(event: string, data: unknown): OutgoingFrame
  /** The answer to a server ping, carrying its id exactly as received. */
  encodePong(id: unknown): OutgoingFrame
  /**
   * Login as a one-way message, for servers that never answer it: the client counts as online
   * once it is sent. Leave it out to log in with a `login` request that the server answers.
   */
  encodeLogin?(payload: unknown): OutgoingFrame
  /** A one-way ping, for `heartbeat: { ping: 'send' }`: any frame the server sends back is the answer. */
  encodePing?(): OutgoingFrame
  /**
   * Reads a refused login (the error reply to the `login` request): `'expired'` makes the client ask
   * `login({ refresh: true })` for a fresh token once and log in again at once; `'rejected'` counts
   * towards `authAttempts`; anything else is retried like a network failure.
   */
  authFailure?(code: unknown, body: unknown): 'expired' | 'rejected' | undefined
  /**
   * The format carries stream positions: pushes decode with `channel` and `position`, the login
   * and subscribe replies carry `epoch`, `offset` and `recovered`. The client then presents the
   * last position handled at login (`since` beside the payload) and at subscribe, so the server
   * replays what was missed, and drops what it already handled. `jsonProtocol` sets it (and so
   * does a copy of it: `{ ...jsonProtocol, authFailure }`); a custom protocol opts in.
   */
  positions?: boolean
}

/**
 * Parses a text frame (a leading BOM skipped) into a JSON object or array; `undefined` for binary
 * frames, invalid JSON and JSON scalars. Useful to custom protocols.
 */
export function parseJsonObject(frame: Frame): Record<string, unknown> | undefined {
  try {
    // A binary frame has no `charCodeAt` and lands in the catch like invalid JSON. Not a regular
    // expression: this runs for every frame.
    const text = frame as string
    const value: unknown = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
    if (value && typeof value === 'object') return value as Record<string, unknown>
  } catch {
    // Not JSON text: ignored like any other frame we cannot read.
  }
  return undefined
}

/**
 * The default protocol:
 * - request `{"event":E,"data":D,"uuid":ID}`, one-way message `{"event":E,"data":D}`;
 * - reply `{"type":"respon","event":ID,"data":{"error":0,"body":B}}` (`error` other than 0 fails);
 * - push `{"type":"app","event":E,...}` (handlers get the whole object);
 * - server ping `{"type":"ping","uuid":X}`, answered `{"event":"response","uuid":X}`;
 * - login is the request `login`, heartbeat the request `ping` (one-way: `{"event":"ping"}`);
 * - a login refused with error 419 means the token expired, 401 or 403 that it is refused;
 * - before closing for a reason the client must know, `{"type":"close","code":C,"reason":R}`;
 * - positions: `channel`, `epoch` and `offset` in pushes, `since` in login and subscribe.
 */
export const jsonProtocol: Protocol = {
  decode(frame) {
    const message = parseJsonObject(frame)
    if (!message) return undefined
    const { type, event } = message
    if (type === 'respon' && event != null) {
      const data = (message.data || {}) as { error?: unknown; body?: unknown }
      return { kind: 'reply', id: event as string, ok: data.error === 0, body: data.body, code: data.error }
    }
    if (type === 'app' && typeof event === 'string') {
      const { channel, epoch, offset } = message
      return {
        kind: 'push',
        event,
        message,
        channel: typeof channel === 'string' ? channel : undefined,
        position: typeof epoch === 'string' && typeof offset === 'number' ? { epoch, offset } : undefined,
      }
    }
    if (type === 'ping' && message.uuid !== undefined) return { kind: 'ping', id: message.uuid }
    if (type === 'close' && typeof message.code === 'number') {
      return { kind: 'close', code: message.code, reason: String(message.reason || '') }
    }
    return undefined
  },
  encodeRequest: (uuid, event, data) => JSON.stringify({ event, data, uuid }),
  encodeSend: (event, data) => JSON.stringify({ event, data }),
  encodePong: (uuid) => JSON.stringify({ event: 'response', uuid }),
  encodePing: () => '{"event":"ping"}',
  authFailure: (code) => (code === 419 ? 'expired' : code === 401 || code === 403 ? 'rejected' : undefined),
  positions: true,
}
