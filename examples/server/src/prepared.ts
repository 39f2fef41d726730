import type { WebSocket } from 'ws'

/**
 * A text frame encoded once for every socket that gets it (a publication's followers, a user's
 * devices, a presence channel's watchers): `bytes` is the whole WebSocket frame as a server sends
 * it (RFC 6455 §5.2: FIN, opcode 1, unmasked, the payload length, the UTF-8 payload). Sending it is
 * one write per socket, where `socket.send(text)` encodes the text, builds a header and corks a
 * two-part write for each socket; socket.io's adapter pre-encodes its broadcasts the same way
 * (`wsPreEncodedFrame`).
 */
export interface PreparedFrame {
  readonly text: string
  readonly bytes: Buffer
}

export function prepareFrame(text: string): PreparedFrame {
  const length = Buffer.byteLength(text)
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const bytes = Buffer.allocUnsafe(header + length)
  bytes[0] = 0x81
  if (header === 2) bytes[1] = length
  else if (header === 4) {
    bytes[1] = 126
    bytes.writeUInt16BE(length, 2)
  } else {
    bytes[1] = 127
    bytes.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    bytes.writeUInt32BE(length >>> 0, 6)
  }
  bytes.write(text, header)
  return { text, bytes }
}

/**
 * ws's sender of one socket, which writes frame bytes to its TCP socket (engine.io sends
 * socket.io's pre-encoded broadcasts through it). Its `_state` is 0 while nothing is being
 * compressed or read: only then may bytes go out directly without overtaking queued messages.
 */
export interface FrameSender {
  _state: unknown
  sendFrame(list: Buffer[]): void
}

/** The socket's `FrameSender`, or undefined if this version of ws has none (sends then take `socket.send`). */
export function frameSenderOf(socket: WebSocket): FrameSender | undefined {
  const sender: unknown = Reflect.get(socket, '_sender')
  return isFrameSender(sender) ? sender : undefined
}

function isFrameSender(value: unknown): value is FrameSender {
  return typeof value === 'object' && value !== null && '_state' in value && 'sendFrame' in value && typeof value.sendFrame === 'function'
}
